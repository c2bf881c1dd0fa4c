//! Names people read instead of codes and ids: a condition by its name in
//! the user's language with its ICD-10 code beside it, and the residents,
//! practitioners and institutions a page mentions ([`Names`]).

use crate::i18n::Lang;
use std::collections::HashMap;
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_core::catalogue::{Catalogue, IcdCode};
use tiercare_core::resident::Resident;
use tiercare_service::Context;
use tiercare_service::registry::{Registry, institution};

/// The names one page has looked up, each once. A resident is read through
/// the registry, which checks the caller's care relationship and audits the
/// read; a resident the caller may not see shows as their id only, so a
/// page can never name someone the API would not show.
pub struct Names<'a> {
    ctx: &'a Context,
    actor: &'a Actor,
    residents: HashMap<String, Option<Resident>>,
    institutions: HashMap<String, String>,
    practitioners: HashMap<String, String>,
}

impl<'a> Names<'a> {
    pub fn new(ctx: &'a Context, actor: &'a Actor) -> Self {
        Names {
            ctx,
            actor,
            residents: HashMap::new(),
            institutions: HashMap::new(),
            practitioners: HashMap::new(),
        }
    }

    /// A resident's record when the caller may read it (one audited read
    /// per page and resident).
    pub async fn resident_record(&mut self, id: &str) -> Option<&Resident> {
        if !self.residents.contains_key(id) {
            let found = match Registry::new(self.ctx, self.actor)
                .read("Patient", id, None)
                .await
            {
                Ok(s) => match s.record {
                    Record::Resident(r) => Some(r),
                    _ => None,
                },
                Err(_) => None,
            };
            self.residents.insert(id.to_string(), found);
        }
        self.residents.get(id).and_then(Option::as_ref)
    }

    /// A resident's name, or their id when the caller may not read it.
    pub async fn resident(&mut self, id: &str) -> String {
        match self.resident_record(id).await {
            Some(r) => r.name.full(),
            None => id.to_string(),
        }
    }

    /// Remembers a resident the page has already read.
    pub fn know_resident(&mut self, r: Resident) {
        self.residents.insert(r.id.to_string(), Some(r));
    }

    /// An institution's name, or its id if it cannot be read.
    pub async fn institution(&mut self, id: &str) -> String {
        if let Some(n) = self.institutions.get(id) {
            return n.clone();
        }
        let name = institution(self.ctx, id, "institution")
            .await
            .map(|i| i.name)
            .unwrap_or_else(|_| id.to_string());
        self.institutions.insert(id.to_string(), name.clone());
        name
    }

    /// A practitioner's name, or their id if it cannot be read.
    pub async fn practitioner(&mut self, id: &str) -> String {
        if let Some(n) = self.practitioners.get(id) {
            return n.clone();
        }
        let name = match Registry::new(self.ctx, self.actor)
            .read("Practitioner", id, None)
            .await
        {
            Ok(s) => match s.record {
                Record::Practitioner(p) => p.name.full(),
                _ => id.to_string(),
            },
            Err(_) => id.to_string(),
        };
        self.practitioners.insert(id.to_string(), name.clone());
        name
    }
}

/// A diagnosis as a page shows it: "原发性高血压（I10）" / "Essential
/// hypertension (I10)"; a code outside the catalogue shows as itself.
pub fn condition(lang: Lang, code: &str) -> String {
    let Ok(icd) = code.parse::<IcdCode>() else {
        return code.to_string();
    };
    match Catalogue::bundled().find(&icd) {
        Some(c) => match lang {
            Lang::Zh => format!("{}（{code}）", c.display_in(lang.code())),
            Lang::En => format!("{} ({code})", c.display_in(lang.code())),
        },
        None => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_shows_by_name_with_its_code() {
        let zh = condition(Lang::Zh, "I10");
        assert!(
            zh.ends_with("（I10）") && zh.len() > "（I10）".len(),
            "{zh}"
        );
        let en = condition(Lang::En, "I10");
        assert!(en.ends_with(" (I10)"), "{en}");
        assert_eq!(condition(Lang::En, "not-a-code"), "not-a-code");
    }
}
