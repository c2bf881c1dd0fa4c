//! The UI's two languages: zh-CN, the default, and English.
//!
//! Every word a page shows comes from the Fluent files under
//! `crates/web/locales/<language>/`, compiled into the binary. Each area of
//! the UI has its own file (`common.ftl`, `doctor.ftl`, ...) with the same
//! name in both folders, and a unit test checks that both languages define
//! the same messages, so a page can never fall back to the other language
//! by accident.
//!
//! Coded values (referral states, levels, schemes, roles) are shown through
//! [`Lang::coded`], which looks up `<kind>-<code>`: nothing reaches a page
//! as a bare code. Dates and money are written the way Chinese users write
//! them ([`Lang::date`], [`yuan`]).

use axum::http::{HeaderMap, header};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use std::borrow::Cow;
use std::collections::HashMap;
use time::Date;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // No Unicode isolation marks around arguments: pages are plain
        // left-to-right text, and the marks would break copying figures.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static ZH: LanguageIdentifier = langid!("zh-CN");
static EN: LanguageIdentifier = langid!("en");

/// The cookie that remembers the language chosen in this browser.
pub const LANG_COOKIE: &str = "tiercare_lang";

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese: the default for every page and message.
    #[default]
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The BCP 47 tag, for `<html lang>`, the cookie and the store.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language a tag names: `zh`, `zh-CN`, `zh-Hans`... are Chinese,
    /// `en` and `en-*` English; anything else is not one of ours.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The language's own name, as the switch shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// The message `key`. A missing message shows its key (and is caught
    /// by the tests, which check every key the pages use).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(self.id(), key)
            .unwrap_or_else(|| key.to_string())
    }

    /// The message `key` with named arguments (`{ $name }` in the file).
    pub fn t_with(self, key: &str, args: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
            .collect();
        LOCALES
            .try_lookup_with_args(self.id(), key, &args)
            .unwrap_or_else(|| key.to_string())
    }

    /// Whether the message `key` exists (in the fallback language at least).
    pub fn has(self, key: &str) -> bool {
        LOCALES.try_lookup(self.id(), key).is_some()
    }

    /// A coded value in words: `kind` is the message prefix (`state`,
    /// `level`, `scheme`...), `code` the value's code. Unknown codes show
    /// the code itself rather than nothing.
    pub fn coded(self, kind: &str, code: &str) -> String {
        let key = format!("{kind}-{code}");
        LOCALES
            .try_lookup(self.id(), &key)
            .unwrap_or_else(|| code.to_string())
    }

    /// A moment as users in the region read it: the day and the time in
    /// China Standard Time.
    pub fn moment(self, at: time::OffsetDateTime) -> String {
        let local = at.to_offset(tiercare_core::CHINA_TIME);
        format!(
            "{} {:02}:{:02}",
            self.date(local.date()),
            local.hour(),
            local.minute()
        )
    }

    /// A day as users write it: 2026年12月6日, or 2026-12-06 in English.
    pub fn date(self, d: Date) -> String {
        match self {
            Lang::Zh => format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day()),
            Lang::En => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
        }
    }

    /// The language for a request without a remembered choice: the
    /// browser's `Accept-Language` (the first of ours it names, by
    /// preference), else Chinese.
    pub fn negotiate(headers: &HeaderMap) -> Lang {
        let Some(accept) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::default();
        };
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, item) in accept.split(',').enumerate() {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            // Higher q wins; on a tie, the one named first.
            if best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, lang));
            }
        }
        best.map(|(_, _, l)| l).unwrap_or_default()
    }

    /// The language remembered by this browser's cookie, if any.
    pub fn from_cookie(headers: &HeaderMap) -> Option<Lang> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .and_then(|(_, v)| Lang::parse(v))
    }

    /// The language of a request before knowing who is asking: the
    /// cookie, else the browser's preference.
    pub fn of_request(headers: &HeaderMap) -> Lang {
        Lang::from_cookie(headers).unwrap_or_else(|| Lang::negotiate(headers))
    }
}

/// An amount as both languages write it: ¥226.00, with thousands
/// separated (¥12,345.60).
pub fn yuan(amount: tiercare_core::insurance::Fen) -> String {
    let fen = amount.fen();
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

#[cfg(test)]
mod tests;
