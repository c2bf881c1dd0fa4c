use super::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The message ids a Fluent file defines (terms and attributes aside).
fn ids(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k.trim_end())
        .filter(|k| {
            k.starts_with(|c: char| c.is_ascii_lowercase())
                && k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        .map(str::to_string)
        .collect()
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files(&p, ext));
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn both_languages_define_the_same_messages_file_by_file() {
    let zh = files(&manifest().join("locales/zh-CN"), "ftl");
    let en = files(&manifest().join("locales/en"), "ftl");
    let names = |v: &[PathBuf]| -> Vec<String> {
        v.iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(&zh), names(&en), "the same files in both languages");
    assert!(!zh.is_empty());
    for (z, e) in zh.iter().zip(&en) {
        let zi = ids(&std::fs::read_to_string(z).unwrap());
        let ei = ids(&std::fs::read_to_string(e).unwrap());
        let only_zh: Vec<_> = zi.difference(&ei).collect();
        let only_en: Vec<_> = ei.difference(&zi).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "{}: only in zh-CN {only_zh:?}, only in en {only_en:?}",
            z.display()
        );
    }
}

/// Every `t("key")`, `t_with("key"` and `has("key")` in the templates and
/// the Rust sources names a message both languages have.
#[test]
fn every_key_the_pages_use_exists_in_both_languages() {
    let mut sources = files(&manifest().join("templates"), "html");
    sources.extend(files(&manifest().join("src"), "rs"));
    sources.retain(|p| !p.ends_with("i18n/tests.rs"));
    let mut missing = Vec::new();
    let mut used = 0;
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for call in ["t(\"", "t_with(\"", "has(\""] {
            for (at, _) in text.match_indices(call) {
                let before = text[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &text[at + call.len()..];
                let Some(end) = rest.find('"') else { continue };
                let key = &rest[..end];
                if key.is_empty()
                    || !key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    continue;
                }
                used += 1;
                for lang in Lang::ALL {
                    if !defines(lang, key) {
                        missing.push(format!("{} in {}: {key}", lang.code(), path.display()));
                    }
                }
            }
        }
    }
    assert!(used > 10, "the scan found the pages' keys ({used})");
    assert!(missing.is_empty(), "missing messages: {missing:#?}");
}

/// Whether a language's own files define `key` (lookups would fall back
/// to Chinese, so the English files are checked themselves).
fn defines(lang: Lang, key: &str) -> bool {
    files(&manifest().join("locales").join(lang.code()), "ftl")
        .iter()
        .any(|p| ids(&std::fs::read_to_string(p).unwrap()).contains(key))
}

fn en_has(key: &str) -> bool {
    defines(Lang::En, key)
}

#[test]
fn every_coded_value_users_see_has_words_in_both_languages() {
    use tiercare_core::access::UserRole;
    use tiercare_core::consult::{ConsultMode, ConsultOutcome};
    use tiercare_core::network::{Gender, InstitutionKind};
    use tiercare_core::outreach::{ControlStatus, FollowUpState, PanelCondition};
    use tiercare_core::referral::{Action, DeclineReason, Direction, Priority, Setting};
    use tiercare_core::resident::KeyGroup;
    use tiercare_core::{Level, Specialty};
    let mut keys: Vec<String> = Vec::new();
    let mut add = |kind: &str, codes: Vec<&str>| {
        keys.extend(codes.into_iter().map(|c| format!("{kind}-{c}")));
    };
    add("role", UserRole::ALL.iter().map(|v| v.code()).collect());
    add("level", Level::ALL.iter().map(|v| v.code()).collect());
    add(
        "direction",
        Direction::ALL.iter().map(|v| v.code()).collect(),
    );
    add("setting", Setting::ALL.iter().map(|v| v.code()).collect());
    add("priority", Priority::ALL.iter().map(|v| v.code()).collect());
    add(
        "decline",
        DeclineReason::ALL.iter().map(|v| v.code()).collect(),
    );
    add("action", Action::ALL.iter().map(|v| v.code()).collect());
    add("keygroup", KeyGroup::ALL.iter().map(|v| v.code()).collect());
    add("gender", Gender::ALL.iter().map(|v| v.code()).collect());
    add(
        "kind",
        InstitutionKind::ALL.iter().map(|v| v.code()).collect(),
    );
    add(
        "specialty",
        Specialty::ALL.iter().map(|v| v.code()).collect(),
    );
    add(
        "consult-mode",
        ConsultMode::ALL.iter().map(|v| v.code()).collect(),
    );
    add(
        "consult-outcome",
        ConsultOutcome::ALL.iter().map(|v| v.code()).collect(),
    );
    add(
        "panel",
        PanelCondition::ALL.iter().map(|v| v.code()).collect(),
    );
    add(
        "control",
        ControlStatus::ALL.iter().map(|v| v.code()).collect(),
    );
    add(
        "followup",
        FollowUpState::ALL.iter().map(|v| v.code()).collect(),
    );
    add(
        "state",
        vec![
            "requested",
            "accepted",
            "booked",
            "arrived",
            "no-show",
            "completed",
            "closed",
            "declined",
            "returned",
            "cancelled",
        ],
    );
    for key in keys {
        assert!(Lang::Zh.has(&key), "zh-CN has no {key}");
        assert!(en_has(&key), "en has no {key}");
        assert_ne!(Lang::Zh.t(&key), Lang::En.t(&key), "{key} is translated");
    }
}

#[test]
fn chinese_is_the_default_and_accept_language_picks_between_ours() {
    use axum::http::HeaderValue;
    let with = |v: &str| {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(v).unwrap());
        h
    };
    assert_eq!(Lang::negotiate(&HeaderMap::new()), Lang::Zh);
    assert_eq!(Lang::negotiate(&with("en-US,en;q=0.9")), Lang::En);
    assert_eq!(Lang::negotiate(&with("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
    assert_eq!(
        Lang::negotiate(&with("fr-FR, en;q=0.5, zh;q=0.7")),
        Lang::Zh
    );
    assert_eq!(Lang::negotiate(&with("de")), Lang::Zh);
    assert_eq!(Lang::negotiate(&with("en;q=0, zh;q=0.1")), Lang::Zh);
    assert_eq!(Lang::negotiate(&with("zh;q=0, en;q=0.1")), Lang::En);
    let mut h = with("en");
    h.insert(
        header::COOKIE,
        HeaderValue::from_static("a=b; tiercare_lang=zh-CN"),
    );
    assert_eq!(Lang::of_request(&h), Lang::Zh);
    assert_eq!(Lang::parse("zh-Hans-CN"), Some(Lang::Zh));
    assert_eq!(Lang::parse("EN_gb"), Some(Lang::En));
    assert_eq!(Lang::parse("<script>"), None);
}

#[test]
fn dates_and_money_as_users_write_them() {
    use tiercare_core::insurance::Fen;
    let d = time::macros::date!(2026 - 12 - 06);
    assert_eq!(Lang::Zh.date(d), "2026年12月6日");
    assert_eq!(Lang::En.date(d), "2026-12-06");
    assert_eq!(yuan(Fen::new(22600)), "¥226.00");
    assert_eq!(yuan(Fen::new(1234560)), "¥12,345.60");
    assert_eq!(yuan(Fen::new(-5)), "-¥0.05");
    assert_eq!(yuan(Fen::ZERO), "¥0.00");
    assert_eq!(
        Lang::Zh.t_with(
            "error-forbidden",
            &[("user", "王医生".into()), ("role", "医生".into())]
        ),
        "您以 王医生（医生）身份登录，此页面不在您的权限范围内。"
    );
}
