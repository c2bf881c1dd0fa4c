//! Names of the page's parties: institutions and alliances from the
//! network, practitioners from the store, programmes as "hospital
//! department at primary institution" in the reader's language. The
//! evaluation knows only ids; these are what people read in the tables and
//! the subject menu.

use crate::UiError;
use crate::i18n::Lang;
use std::collections::HashMap;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::outreach::evaluation::EvaluationSubject;
use tiercare_service::evaluation::OutreachRecords;
use tiercare_store::Stored;

/// Names of institutions, alliances, practitioners and programmes.
pub(super) struct Names {
    of: HashMap<String, String>,
}

impl Names {
    pub(super) async fn load(
        state: &AppState,
        records: &OutreachRecords,
        lang: Lang,
    ) -> Result<Names, UiError> {
        let network = tiercare_service::indicators::network(&state.ctx).await?;
        let mut of: HashMap<String, String> = HashMap::new();
        for (id, name) in network.institutions.iter().zip(&network.names) {
            of.insert(format!("org:{id}"), name.clone());
        }
        for (id, name) in network.alliances.iter().zip(&network.alliance_names) {
            of.insert(format!("org:{id}"), name.clone());
        }
        let mut people: Vec<&str> = Vec::new();
        for p in &records.programmes {
            people.extend(p.specialists.iter().map(|s| s.as_str()));
        }
        for m in &records.mentorships {
            people.push(m.specialist.as_str());
            people.extend(m.family_doctors.iter().map(|s| s.as_str()));
        }
        for e in &records.enrolments {
            people.push(e.specialist.as_str());
            people.push(e.family_doctor.as_str());
        }
        people.sort_unstable();
        people.dedup();
        for id in people {
            if let Some(Stored {
                record: Record::Practitioner(p),
                ..
            }) = state.ctx.store.get("Practitioner", id).await?
            {
                of.insert(format!("person:{id}"), p.name.full());
            }
        }
        let mut names = Names { of };
        for p in &records.programmes {
            let label = lang.t_with(
                "programmes-programme-name",
                &[
                    ("hospital", names.org(p.hospital.as_str())),
                    ("department", lang.coded("specialty", p.department.code())),
                    ("primary", names.org(p.primary.as_str())),
                ],
            );
            names.of.insert(format!("programme:{}", p.id), label);
        }
        Ok(names)
    }

    pub(super) fn org(&self, id: &str) -> String {
        self.of
            .get(&format!("org:{id}"))
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn person(&self, id: &str) -> String {
        self.of
            .get(&format!("person:{id}"))
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    pub(super) fn subject(&self, s: &EvaluationSubject, region: &str) -> String {
        match s {
            EvaluationSubject::Region => region.to_string(),
            EvaluationSubject::Programme(id) => self
                .of
                .get(&format!("programme:{id}"))
                .cloned()
                .unwrap_or_else(|| id.to_string()),
            EvaluationSubject::Hospital(id) | EvaluationSubject::Primary(id) => {
                self.org(id.as_str())
            }
            EvaluationSubject::Alliance(id) => self.org(id.as_str()),
            EvaluationSubject::Specialist(id) | EvaluationSubject::FamilyDoctor(id) => {
                self.person(id.as_str())
            }
        }
    }
}
