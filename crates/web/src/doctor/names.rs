//! Names instead of ids on the doctor's pages: residents (read through
//! the registry, so each name shown is an audited read the doctor may
//! make), institutions and practitioners, each looked up once per page.

use std::collections::HashMap;
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_service::Context;
use tiercare_service::registry::Registry;

/// The names one page has looked up.
pub struct Names<'a> {
    ctx: &'a Context,
    actor: &'a Actor,
    residents: HashMap<String, String>,
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

    /// A resident's name, or their id when the doctor may not read it.
    pub async fn resident(&mut self, id: &str) -> String {
        if let Some(n) = self.residents.get(id) {
            return n.clone();
        }
        let name = match Registry::new(self.ctx, self.actor)
            .read("Patient", id, None)
            .await
        {
            Ok(s) => match s.record {
                Record::Resident(r) => r.name.full(),
                _ => id.to_string(),
            },
            Err(_) => id.to_string(),
        };
        self.residents.insert(id.to_string(), name.clone());
        name
    }

    /// Remembers a resident's name already read.
    pub fn know_resident(&mut self, id: &str, name: String) {
        self.residents.insert(id.to_string(), name);
    }

    /// An institution's name, or its id if it cannot be read.
    pub async fn institution(&mut self, id: &str) -> String {
        if let Some(n) = self.institutions.get(id) {
            return n.clone();
        }
        let name = tiercare_service::registry::institution(self.ctx, id, "institution")
            .await
            .map(|i| i.name)
            .unwrap_or_else(|_| id.to_string());
        self.institutions.insert(id.to_string(), name.clone());
        name
    }

    /// A practitioner's name, or their id.
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
