//! The bounds tiercare puts on what a client sends, in one place.
//!
//! Each is a default: the largest input a client of the care network
//! needs, with room to spare, and small enough that no single request can
//! make the server store or search something unreasonable (a megabyte-long
//! family name, a search the database cannot plan). A request beyond a
//! bound is answered 400 with an `OperationOutcome` naming the element or
//! the search parameter. The size of a whole body is bounded separately,
//! by the `max_body_bytes` setting.

/// Longest FHIR `string` of an ordinary element, in characters (not
/// bytes): names, codes, identifiers, addresses, displays, URLs.
///
/// Default 4,096: far above any real name or address, and the longest
/// text a search term is built from.
pub const MAX_STRING_CHARS: usize = 4_096;

/// Longest free text, in characters: the elements in [`TEXT_ELEMENTS`]
/// and the `text` of a `note` (a referral's summary, a specialist's
/// advice, an e-consult's message).
///
/// Default 65,536: a long clinical letter; FHIR's own ceiling for any
/// string is 1 MB.
pub const MAX_TEXT_CHARS: usize = 65_536;

/// Element names whose strings are free text, allowed up to
/// [`MAX_TEXT_CHARS`]. `text` counts as free text only inside `note`
/// (elsewhere, as in `CodeableConcept.text` or `HumanName.text`, it is a
/// short string).
pub const TEXT_ELEMENTS: &[&str] = &[
    "div",
    "contentString",
    "description",
    "comment",
    "valueString",
    "valueMarkdown",
];

/// Most query parameters in one query string, repeats included
/// (`name=a&name=b` is two).
///
/// Default 50: a search that ANDs more conditions than this is not one a
/// client needs, and every parameter is one more condition on the index.
pub const MAX_QUERY_PARAMS: usize = 50;

/// Most comma-separated values (alternatives, ORed) in one search
/// parameter.
///
/// Default 100: a worklist's list of ids or codes fits; a longer list
/// should be paged by the client.
pub const MAX_VALUES_PER_PARAM: usize = 100;

/// Most values in one search over all its parameters together.
///
/// Default 500: bounds the size of the store query whatever the mix of
/// repeated parameters and value lists.
pub const MAX_SEARCH_VALUES: usize = 500;
