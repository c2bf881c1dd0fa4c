//! Who and where, by name: patients, practitioners and institutions as
//! their records name them, each looked up once per page.
//!
//! A patient is read through the registry, which checks the caller's care
//! relationship (a referral to or from their institution, or a contract)
//! and audits the read; a patient the caller may not see shows as their
//! record number only.

use std::collections::HashMap;
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_service::Context;
use tiercare_service::registry::Registry;

/// A page's name lookups.
pub struct Names<'a> {
    ctx: &'a Context,
    actor: &'a Actor,
    seen: HashMap<(&'static str, String), String>,
}

/// A patient as a page shows them.
#[derive(Debug, Clone, Default)]
pub struct Patient {
    pub name: String,
    /// Gender and date of birth, in words; empty when not readable.
    pub details: String,
}

impl<'a> Names<'a> {
    pub fn new(ctx: &'a Context, actor: &'a Actor) -> Names<'a> {
        Names {
            ctx,
            actor,
            seen: HashMap::new(),
        }
    }

    /// A patient's name (audited read), or their id when not readable.
    pub async fn patient(&mut self, lang: crate::Lang, id: &str) -> Patient {
        let key = ("Patient", id.to_string());
        if let Some(name) = self.seen.get(&key) {
            let (name, details) = name.split_once('\n').unwrap_or((name, ""));
            return Patient {
                name: name.to_string(),
                details: details.to_string(),
            };
        }
        let found = Registry::new(self.ctx, self.actor)
            .read("Patient", id, None)
            .await;
        let p = match found {
            Ok(s) => match s.record {
                Record::Resident(r) => Patient {
                    name: person(&r.name),
                    details: format!(
                        "{} · {}",
                        lang.coded("gender", r.gender.code()),
                        lang.date(r.birth_date)
                    ),
                },
                _ => Patient {
                    name: id.to_string(),
                    details: String::new(),
                },
            },
            Err(_) => Patient {
                name: id.to_string(),
                details: String::new(),
            },
        };
        self.seen.insert(key, format!("{}\n{}", p.name, p.details));
        p
    }

    /// An institution's name, or its id.
    pub async fn institution(&mut self, id: &str) -> String {
        let key = ("Organization", id.to_string());
        if let Some(n) = self.seen.get(&key) {
            return n.clone();
        }
        let name = tiercare_service::registry::institution(self.ctx, id, "institution")
            .await
            .map(|i| i.name)
            .unwrap_or_else(|_| id.to_string());
        self.seen.insert(key, name.clone());
        name
    }

    /// A practitioner's name, or their id.
    pub async fn practitioner(&mut self, id: &str) -> String {
        let key = ("Practitioner", id.to_string());
        if let Some(n) = self.seen.get(&key) {
            return n.clone();
        }
        let name = match Registry::new(self.ctx, self.actor)
            .read("Practitioner", id, None)
            .await
        {
            Ok(s) => match s.record {
                Record::Practitioner(p) => person(&p.name),
                _ => id.to_string(),
            },
            Err(_) => id.to_string(),
        };
        self.seen.insert(key, name.clone());
        name
    }
}

/// A person's name: family name first, run together in Chinese
/// characters, spaced in Latin letters.
pub fn person(name: &tiercare_core::network::PersonName) -> String {
    let cjk = name.family.chars().any(|c| c as u32 >= 0x2E80);
    if cjk {
        format!("{}{}", name.family, name.given)
    } else {
        name.full()
    }
}
