//! How the specialist's and the resident's pages write times, results and
//! the notice after a form was saved.

use crate::i18n::Lang;
use tiercare_core::clinical::ResultValue;
use time::{OffsetDateTime, UtcOffset};

/// China Standard Time, the region's clock on the pages.
const CST: UtcOffset = tiercare_service::days::LOCAL;

/// A moment as users write it: 2026年12月7日 09:30 / 2026-12-07 09:30.
pub fn when(lang: Lang, t: OffsetDateTime) -> String {
    let t = t.to_offset(CST);
    format!("{} {:02}:{:02}", lang.date(t.date()), t.hour(), t.minute())
}

/// A result's value in words.
pub fn result_value(v: &ResultValue) -> String {
    match v {
        ResultValue::Quantity { value, unit } => format!("{value} {unit}"),
        ResultValue::Text { text } => text.clone(),
    }
}

/// The notice after a saved form (`?done=<what>`), from a fixed list so a
/// crafted link cannot put words on the page.
pub fn notice(lang: Lang, done: Option<&str>) -> String {
    match done {
        Some("answered") => lang.t("specialist-done-answered"),
        Some("reported") => lang.t("specialist-done-reported"),
        Some("drawn-up") => lang.t("specialist-done-drawn-up"),
        Some("logged") => lang.t("specialist-done-logged"),
        Some("stale") => lang.t("specialist-done-stale"),
        Some("accepted") => lang.t("me-done-accepted"),
        Some("refused") => lang.t("me-done-refused"),
        _ => String::new(),
    }
}
