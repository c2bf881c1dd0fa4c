//! The index terms a record is stored under, in the shapes the search
//! parameters match: a token as `code` and `system|code`, text as the whole
//! and each word, a reference as `Type/id`.
//!
//! Every resource's `index` function builds its terms from these, so a
//! search for `specialty=cardiology` and one for
//! `specialty=https://tiercare.org/fhir/CodeSystem/specialty|cardiology`
//! find the same records.

use crate::datatypes;

/// Index terms for a token with one of tiercare's systems: `code` and
/// `system|code`.
pub fn token_terms(param: &str, system_name: &str, code: &str) -> [(String, String); 2] {
    [
        (param.to_string(), code.to_lowercase()),
        (
            param.to_string(),
            format!("{}|{}", datatypes::system(system_name), code).to_lowercase(),
        ),
    ]
}

/// Index terms for an identifier in one of tiercare's identifier systems:
/// `value` and `system|value`.
pub fn identifier_terms(system_name: &str, value: &str) -> [(String, String); 2] {
    [
        ("identifier".to_string(), value.to_lowercase()),
        (
            "identifier".to_string(),
            format!("{}|{}", datatypes::identifier_system(system_name), value).to_lowercase(),
        ),
    ]
}

/// Index terms for text: the whole text and each word, lower-cased, so a
/// "starts with" search finds any word.
pub fn string_terms(param: &str, text: &str) -> Vec<(String, String)> {
    let lower = text.to_lowercase();
    let mut out = vec![(param.to_string(), lower.clone())];
    for w in lower.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')') {
        if !w.is_empty() && w != lower {
            out.push((param.to_string(), w.to_string()));
        }
    }
    out
}

/// Index term for a reference.
pub fn reference_term(param: &str, resource_type: &str, id: &str) -> (String, String) {
    (param.to_string(), format!("{resource_type}/{id}"))
}
