//! What a client may send back of what it read: one rule for every
//! resource type.
//!
//! The server derives some elements from the rest of a record (a person's
//! `name.text` from `family` and `given`, a resident's
//! `generalPractitioner` from the contract) and adds others on every read
//! (`meta`, the narrative `text`, `language`). A client that reads a
//! resource, changes one element and sends it back sends them too,
//! possibly stale. They are ignored on input, whatever their value: the
//! server derives them again from what it keeps. Everything else is
//! compared with what the record gives back (see [`crate::keeps`]).
//!
//! Some records under a registry type are kept by the server alone (a bed
//! pool is a `Location` whose counts come from bookings; a mentorship is a
//! `CareTeam` that changes through its operations): an unchanged one sent
//! back is answered as it stands, a changed one is refused naming the
//! first element that differs ([`unchanged`]).

use crate::RegistryType;
use serde_json::Value;
use tiercare_core::Record;
use tiercare_store::Stored;

/// The elements the server derives, by resource type: a path of member
/// names where `[]` walks every element of an array.
const DERIVED: &[(&[&str], &[&str])] = &[
    (&["Patient", "Practitioner"], &["name", "[]", "text"]),
    (&["Patient"], &["generalPractitioner"]),
];

/// The elements the server owns on every resource: accepted and replaced.
const SERVER_OWNED: &[&str] = &["id", "meta", "text", "language"];

/// Removes from a sent body the elements the server derives for
/// `resource_type`, so they are neither stored nor compared.
pub fn strip_derived(resource_type: &str, sent: &mut Value) {
    for (types, path) in DERIVED {
        if types.contains(&resource_type) {
            remove_path(sent, path);
        }
    }
}

fn remove_path(v: &mut Value, path: &[&str]) {
    match (path, v) {
        ([], _) => {}
        (["[]", rest @ ..], Value::Array(items)) => {
            for item in items {
                remove_path(item, rest);
            }
        }
        ([last], Value::Object(map)) => {
            map.remove(*last);
        }
        ([key, rest @ ..], Value::Object(map)) => {
            if let Some(child) = map.get_mut(*key) {
                remove_path(child, rest);
            }
        }
        _ => {}
    }
}

impl RegistryType {
    /// Whether this type's parser produces this kind of record: false for
    /// the records the server keeps alone under the type (bed pools,
    /// mentorships), which a PUT cannot replace.
    pub fn parses(self, record: &Record) -> bool {
        !matches!(record, Record::BedPool(_) | Record::Mentorship(_))
            && record.resource_type() == self.name()
    }
}

/// Compares a sent body with the stored record as the server renders it,
/// leaving out the elements the server owns: `None` when they say the same,
/// else the path of the first element that differs (`Type.element`).
pub fn unchanged(sent: &Value, stored: &Stored) -> Option<String> {
    let rendered = crate::render(stored);
    let rt = stored.record.resource_type();
    let clean = |v: &Value| {
        let mut v = v.clone();
        if let Value::Object(m) = &mut v {
            for k in SERVER_OWNED {
                m.remove(*k);
            }
        }
        strip_derived(rt, &mut v);
        v
    };
    let (sent, rendered) = (clean(sent), clean(&rendered));
    crate::lost(&sent, &rendered, rt).or_else(|| crate::lost(&rendered, &sent, rt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tiercare_core::demo::DemoCounty;

    #[test]
    fn derived_elements_are_removed_wherever_the_path_leads() {
        let mut v = json!({"name": [{"text": "王芳", "family": "王"}, {"text": "Wang"}],
                           "generalPractitioner": [], "gender": "female"});
        strip_derived("Patient", &mut v);
        assert_eq!(
            v,
            json!({"name": [{"family": "王"}, {}], "gender": "female"})
        );
        let mut org = json!({"name": "A", "generalPractitioner": []});
        strip_derived("Organization", &mut org);
        assert!(org.get("generalPractitioner").is_some());
    }

    /// Every registry record of the demo county, rendered as a client
    /// reads it, parses back into the same record.
    #[test]
    fn every_demo_registry_record_survives_a_round_trip() {
        let county = DemoCounty::generate(30, 7);
        let today = time::macros::date!(2026 - 06 - 01);
        let mut seen = std::collections::BTreeSet::new();
        for record in &county.records {
            let Some(rt) = RegistryType::from_name(record.resource_type()) else {
                continue;
            };
            if !rt.parses(record) {
                continue;
            }
            let stored = Stored {
                record: record.clone(),
                version: 1,
                updated_at: "2026-06-01T00:00:00.000Z".into(),
                created: false,
            };
            let body = crate::render(&stored);
            let parsed = rt
                .parse(body.clone(), record.id(), &county.region.id, today)
                .unwrap_or_else(|e| panic!("{} {}: {e:?}\n{body}", rt.name(), record.id()));
            // What the services fill in (a contract's doctor) is derived.
            let kept = |r: &Record| {
                let mut v = crate::render_record(r);
                strip_derived(rt.name(), &mut v);
                v
            };
            assert_eq!(kept(&parsed), kept(record), "{}", record.id());
            seen.insert(rt.name());
        }
        assert!(seen.len() >= 6, "{seen:?}");
    }
}
