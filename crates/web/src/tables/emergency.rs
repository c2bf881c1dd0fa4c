//! The emergency centres' accreditation measures on the dashboard: each
//! measure by where the patient first met the system, and each centre
//! credited with cases. The counts are those of `$evaluate-measure`
//! (`tiercare_core::emergency::accreditation`): a case once in every
//! measure whose condition it meets, credited to its first destination.

use super::{Column, Row, Table, coded, columns, count, pct, text, titled};
use crate::charts::Format;
use crate::dashboard::Dashboard;
use crate::i18n::Lang;
use tiercare_core::emergency::ContactPoint;
use tiercare_core::emergency::accreditation::{Figures, Interval, Measure};

const MEASURE_COLUMNS: &[&str] = &[
    "emergency-measure",
    "emergency-contact",
    "emergency-initial",
    "emergency-denominator",
    "emergency-numerator",
    "emergency-share",
];

const CENTRE_COLUMNS: &[&str] = &[
    "institution-id",
    "institution",
    "emergency-cases",
    "emergency-fmc-ecg-10",
    "emergency-door-to-balloon-90",
    "emergency-door-to-needle-60",
    "emergency-direct",
    "emergency-late-transfer",
    "emergency-mortality-30d",
    "emergency-contact-to-treatment-median",
];

fn measure_cell(lang: Lang, m: Measure) -> super::Cell {
    coded(m.code(), lang.t(&format!("dashboard-col-{}", m.code())))
}

/// The subject's cases in every measure, for all first contacts and for
/// each: cases the measure is about, its denominator and numerator, and
/// the share.
pub fn emergency(d: &Dashboard, lang: Lang) -> Table {
    let s = &d.emergency.region;
    let strata: Vec<(&str, String, Figures)> = std::iter::once((
        "all",
        lang.t("dashboard-emergency-all-contacts"),
        s.all.clone(),
    ))
    .chain(ContactPoint::ALL.iter().map(|&c| {
        (
            c.code(),
            lang.coded("emergency-contact", c.code()),
            s.contact(c),
        )
    }))
    .collect();
    let mut rows = Vec::new();
    for m in Measure::ALL {
        for (code, label, f) in &strata {
            let t = f.tally(m);
            rows.push(Row {
                key: format!("{}/{code}", m.code()),
                cells: vec![
                    measure_cell(lang, m),
                    coded(code, label.clone()),
                    count(t.initial),
                    count(t.denominator),
                    count(t.numerator),
                    pct(t.share()),
                ],
            });
        }
    }
    titled(lang, "emergency", columns(lang, MEASURE_COLUMNS), rows)
}

/// Each centre of the subject credited with cases: its cases, the share in
/// each measure and the median minutes from first contact to treatment.
pub fn emergency_centres(d: &Dashboard, lang: Lang) -> Table {
    let rows = d
        .emergency
        .centres
        .iter()
        .map(|(id, s)| {
            let name = d
                .whole
                .institutions
                .iter()
                .position(|i| i == id.as_str())
                .and_then(|k| d.whole.names.get(k).cloned())
                .unwrap_or_else(|| id.to_string());
            let mut cells = vec![text(id.to_string()), text(name), count(s.all.cases)];
            cells.extend(Measure::ALL.iter().map(|&m| pct(s.all.tally(m).share())));
            cells.push(super::Cell::Figure(
                s.all.median(Interval::ContactToTreatment),
                Format::Minutes,
            ));
            Row {
                key: id.to_string(),
                cells,
            }
        })
        .collect();
    let cols: Vec<Column> = columns(lang, CENTRE_COLUMNS);
    titled(lang, "emergency-centres", cols, rows)
}
