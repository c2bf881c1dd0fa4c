//! Names people read instead of ids: institutions, practitioners and
//! patients, each looked up once per page through the services (a
//! patient's name is patient data: read through the registry, audited).

use std::collections::HashMap;
use tiercare_api::AppState;
use tiercare_core::Record;
use tiercare_core::access::Actor;
use tiercare_service::registry::{Registry, institution};

/// The names a page needs, looked up once each.
pub struct Names<'a> {
    state: &'a AppState,
    actor: &'a Actor,
    institutions: HashMap<String, String>,
    practitioners: HashMap<String, String>,
    patients: HashMap<String, String>,
}

impl<'a> Names<'a> {
    pub fn new(state: &'a AppState, actor: &'a Actor) -> Names<'a> {
        Names {
            state,
            actor,
            institutions: HashMap::new(),
            practitioners: HashMap::new(),
            patients: HashMap::new(),
        }
    }

    /// An institution's name; its id when it cannot be read.
    pub async fn institution(&mut self, id: &str) -> String {
        if let Some(n) = self.institutions.get(id) {
            return n.clone();
        }
        let name = institution(&self.state.ctx, id, "institution")
            .await
            .map(|i| i.name)
            .unwrap_or_else(|_| id.to_string());
        self.institutions.insert(id.to_string(), name.clone());
        name
    }

    /// A practitioner's name; their id when it cannot be read.
    pub async fn practitioner(&mut self, id: &str) -> String {
        if let Some(n) = self.practitioners.get(id) {
            return n.clone();
        }
        let registry = Registry::new(&self.state.ctx, self.actor);
        let name = match registry.read("Practitioner", id, None).await {
            Ok(s) => match s.record {
                Record::Practitioner(p) => p.name.full(),
                _ => id.to_string(),
            },
            Err(_) => id.to_string(),
        };
        self.practitioners.insert(id.to_string(), name.clone());
        name
    }

    /// A patient's name, read (and audited) as the caller may read the
    /// patient's record; their id when the caller may not.
    pub async fn patient(&mut self, id: &str) -> String {
        if let Some(n) = self.patients.get(id) {
            return n.clone();
        }
        let registry = Registry::new(&self.state.ctx, self.actor);
        let name = match registry.read("Patient", id, None).await {
            Ok(s) => match s.record {
                Record::Resident(r) => r.name.full(),
                _ => id.to_string(),
            },
            Err(_) => id.to_string(),
        };
        self.patients.insert(id.to_string(), name.clone());
        name
    }
}
