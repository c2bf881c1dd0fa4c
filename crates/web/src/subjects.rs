//! The subjects a reader may pick on an oversight page: the region and
//! its levels, the alliances, the family-doctor teams, the doctors and the
//! institutions.

use crate::dashboard::subject_code;
use crate::i18n::Lang;
use crate::page::{Choice, ChoiceGroup};
use tiercare_core::Level;
use tiercare_service::indicators::{Network, SubjectRef, Unit};

/// The subjects of the filter's drop-down, none selected yet (the
/// [`FilterForm`] selects the one shown).
pub fn choices(lang: Lang, n: &Network) -> Vec<ChoiceGroup> {
    let choice = |value: String, label: String| Choice {
        selected: false,
        value,
        label,
    };
    let mut institutions: Vec<(usize, &String)> = n.names.iter().enumerate().collect();
    institutions.sort_by(|a, b| a.1.cmp(b.1));
    vec![
        ChoiceGroup {
            label: lang.t("dashboard-group-region"),
            choices: std::iter::once(choice("region".into(), lang.t("dashboard-whole-region")))
                .chain(Level::ALL.iter().map(|l| {
                    choice(
                        subject_code(&SubjectRef::Level(*l)),
                        lang.coded("level", l.code()),
                    )
                }))
                .collect(),
        },
        ChoiceGroup {
            label: lang.t("dashboard-group-alliances"),
            choices: n
                .alliances
                .iter()
                .zip(&n.alliance_names)
                .map(|(id, name)| {
                    choice(
                        subject_code(&SubjectRef::Alliance(id.clone())),
                        name.clone(),
                    )
                })
                .collect(),
        },
        ChoiceGroup {
            label: lang.t("dashboard-group-institutions"),
            choices: institutions
                .into_iter()
                .map(|(k, name)| {
                    let level = n.directory.institutions[k].level.code();
                    choice(
                        subject_code(&SubjectRef::Institution(n.institutions[k].clone())),
                        lang.t_with(
                            "dashboard-institution-choice",
                            &[
                                ("name", name.clone()),
                                ("level", lang.coded("level", level)),
                            ],
                        ),
                    )
                })
                .collect(),
        },
        units_group(lang, "dashboard-group-teams", &n.teams, SubjectRef::Team),
        units_group(
            lang,
            "dashboard-group-practitioners",
            &n.practitioners,
            SubjectRef::Practitioner,
        ),
    ]
}

/// A drop-down group of teams or doctors, each labelled with its level.
fn units_group(
    lang: Lang,
    label: &str,
    units: &[Unit],
    subject: impl Fn(String) -> SubjectRef,
) -> ChoiceGroup {
    ChoiceGroup {
        label: lang.t(label),
        choices: units
            .iter()
            .map(|u| Choice {
                selected: false,
                value: subject_code(&subject(u.id.clone())),
                label: lang.t_with(
                    "dashboard-institution-choice",
                    &[
                        ("name", u.name.clone()),
                        ("level", lang.coded("level", u.level.code())),
                    ],
                ),
            })
            .collect(),
    }
}
