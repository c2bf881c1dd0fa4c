//! What FHIR clients search `Subscription` by. The resource itself is
//! parsed and rendered by the HTTP face, which owns delivery.

use crate::{ParamKind, SearchParam};

/// Search parameters of `Subscription`.
pub const SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "status",
        kind: ParamKind::Token,
        doc: "requested, active, error, off",
    },
];
