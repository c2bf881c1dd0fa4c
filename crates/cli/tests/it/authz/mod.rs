//! The authorisation matrix (`docs/authorisation.toml`): who may call
//! every route of the API and every page of the UI, as data. One test
//! holds the matrix against the router's source (every declared route has
//! an entry and every entry a declared route, so a new endpoint without an
//! entry fails the suite); another walks it against a running demo server,
//! as every demo user and anonymously, in each context an entry names
//! (a patient in the caller's care or not, the caller's own institution or
//! another), and compares each answer with the decision written down.

mod routes;
mod walk;

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The signed-in roles of the matrix: one demo user each.
pub use crate::helpers::ROLES;

/// What a caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Served: any answer but 401, a refusal or a sign-in redirect (a
    /// request the walk sends incomplete may well be invalid).
    Allow,
    /// Refused: the entry's `deny` status (403 unless it says otherwise).
    Deny,
    /// Asked to sign in: 401, or a redirect to the sign-in page.
    Login,
    /// Not walked for this role (the entry's note says why).
    #[serde(rename = "n/a")]
    NA,
}

/// A decision, or one per context.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Rule {
    One(Decision),
    Care {
        in_care: Decision,
        out_of_care: Decision,
    },
    Institution {
        own: Decision,
        other: Decision,
    },
}

/// The status or statuses a refusal may have.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Statuses {
    One(u16),
    Many(Vec<u16>),
}

impl Statuses {
    pub fn list(&self) -> Vec<u16> {
        match self {
            Statuses::One(s) => vec![*s],
            Statuses::Many(s) => s.clone(),
        }
    }
}

/// One row of the matrix: a route, the concrete request the walk sends,
/// and each role's decision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// `METHOD PATH`, the path exactly as the router declares it.
    pub route: String,
    /// The path the walk requests, with `{fixture}` placeholders (and a
    /// query if any); the route's own path when it has no parameters.
    pub path: Option<String>,
    /// A FHIR JSON body for POST and PUT (default: an empty `Parameters`
    /// for an operation, else a resource with only its type).
    pub body: Option<String>,
    /// Form fields for a page's POST (the session's CSRF token is added)
    /// or for `/auth/*`.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    /// Sign in anew for this request (it ends the session or token).
    #[serde(default)]
    pub fresh: bool,
    /// The handler reads the request before it asks whether the caller
    /// may make it, so a refused caller whose request is incomplete gets
    /// 400 or 422 rather than 403 (a finding: the walk accepts either).
    #[serde(default)]
    pub validates_first: bool,
    /// How a refusal answers: 403 unless the route hides the record (404).
    pub deny: Option<Statuses>,
    /// Why a decision is as it is, or a known limitation.
    pub note: Option<String>,
    pub anonymous: Option<Rule>,
    pub admin: Option<Rule>,
    pub coordinator: Option<Rule>,
    pub doctor: Option<Rule>,
    pub specialist: Option<Rule>,
    pub analyst: Option<Rule>,
    pub resident: Option<Rule>,
    pub insurer: Option<Rule>,
    pub frontdesk: Option<Rule>,
    /// The decision for every signed-in role the entry does not name.
    pub others: Option<Rule>,
}

impl Entry {
    /// The rule for a role (`anonymous` or one of [`ROLES`]); anonymous
    /// callers are asked to sign in unless the entry says otherwise.
    pub fn rule(&self, role: &str) -> Option<Rule> {
        let own = match role {
            "anonymous" => {
                return Some(self.anonymous.clone().unwrap_or(Rule::One(Decision::Login)));
            }
            "admin" => &self.admin,
            "coordinator" => &self.coordinator,
            "doctor" => &self.doctor,
            "specialist" => &self.specialist,
            "analyst" => &self.analyst,
            "resident" => &self.resident,
            "insurer" => &self.insurer,
            "frontdesk" => &self.frontdesk,
            other => panic!("no role {other}"),
        };
        own.clone().or_else(|| self.others.clone())
    }

    /// The route's method.
    pub fn method(&self) -> &str {
        self.route.split(' ').next().unwrap_or_default()
    }

    /// The path the walk requests.
    pub fn request_path(&self) -> String {
        self.path.clone().unwrap_or_else(|| {
            self.route
                .split_once(' ')
                .map(|(_, p)| p)
                .unwrap_or("")
                .into()
        })
    }

    pub fn denied(&self) -> Vec<u16> {
        self.deny.as_ref().map_or(vec![403], Statuses::list)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    pub route: Vec<Entry>,
}

/// The matrix, read from the docs.
pub fn matrix() -> Matrix {
    let path = crate::helpers::workspace_root().join("docs/authorisation.toml");
    let text = std::fs::read_to_string(&path).expect("docs/authorisation.toml");
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_route_has_an_entry_and_every_entry_a_route() {
    let declared = routes::declared();
    let matrix = matrix();
    let listed: BTreeSet<String> = matrix.route.iter().map(|e| e.route.clone()).collect();
    let mut problems: Vec<String> = declared
        .difference(&listed)
        .map(|r| format!("{r}: declared by the router, not in the matrix"))
        .collect();
    problems.extend(
        listed
            .difference(&declared)
            .map(|r| format!("{r}: in the matrix, not declared by the router")),
    );
    // Every entry decides for every role (an entry may not silently leave
    // a role out), and a route with parameters says what to request.
    for e in &matrix.route {
        for role in ROLES {
            if e.rule(role).is_none() {
                problems.push(format!("{}: no decision for {role}", e.route));
            }
        }
        if e.path.is_none() && e.route.contains('{') {
            problems.push(format!("{}: no path to request", e.route));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems with docs/authorisation.toml:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
