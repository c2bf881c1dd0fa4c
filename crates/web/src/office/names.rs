//! A patient as the referral office's pages show them: name, gender and
//! date of birth, read through the page's [`Names`] (an audited read the
//! office may make while a referral is open with the patient).

use crate::Lang;
use crate::names::Names;

/// A patient as a page shows them.
#[derive(Debug, Clone, Default)]
pub struct Patient {
    pub name: String,
    /// Gender and date of birth, in words; empty when not readable.
    pub details: String,
}

/// The patient `id`, or their id alone when the office may not read them.
pub async fn patient(names: &mut Names<'_>, lang: Lang, id: &str) -> Patient {
    match names.resident_record(id).await {
        Some(r) => Patient {
            name: r.name.full(),
            details: format!(
                "{} · {}",
                lang.coded("gender", r.gender.code()),
                lang.date(r.birth_date)
            ),
        },
        None => Patient {
            name: id.to_string(),
            details: String::new(),
        },
    }
}
