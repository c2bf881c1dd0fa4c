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

/// Index terms for a name that may be written in Chinese: those of
/// [`string_terms`] and, when the name holds hanzi, its toneless pinyin
/// written together ("hekouzhenweishengyuan") and syllable by syllable
/// ("he kou zhen wei sheng yuan"). A search typed on a latin keyboard
/// ("hekou", "Hekou", "he kou") then finds what is named "河口镇卫生院",
/// by the same prefix matching as any string.
pub fn name_terms(param: &str, text: &str) -> Vec<(String, String)> {
    let mut out = string_terms(param, text);
    let tokens = tokens(text, false);
    if tokens.iter().any(|t| t.hanzi) {
        for (together, spaced) in spellings(&tokens) {
            out.push((param.to_string(), together));
            out.push((param.to_string(), spaced));
        }
    }
    out.dedup();
    out
}

/// The toneless pinyin of a name in hanzi, each spelling written together
/// and spaced (`("wangfang", "wang fang")`), the common reading first.
/// With `first_readings`, every reading of the first character is spelt (a
/// surname such as 曾 or 单 is read differently from the common word).
/// Empty when the text holds no hanzi.
pub fn pinyin_spellings(text: &str, first_readings: bool) -> Vec<(String, String)> {
    let tokens = tokens(text, first_readings);
    if tokens.iter().any(|t| t.hanzi) {
        spellings(&tokens)
    } else {
        Vec::new()
    }
}

/// One syllable of a hanzi, or one run of latin letters and digits, with
/// the ways it may be typed (the first is the common one).
struct Token {
    readings: Vec<String>,
    hanzi: bool,
}

/// Splits text into syllables and latin runs; punctuation and spaces only
/// separate. `first_readings` keeps every reading of the first hanzi.
fn tokens(text: &str, first_readings: bool) -> Vec<Token> {
    use pinyin::{ToPinyin, ToPinyinMulti};
    let mut out: Vec<Token> = Vec::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut Vec<Token>| {
        if !run.is_empty() {
            out.push(Token {
                readings: vec![std::mem::take(run)],
                hanzi: false,
            });
        }
    };
    for c in text.chars() {
        let first_hanzi = first_readings && !out.iter().any(|t| t.hanzi);
        let readings: Vec<&str> = if first_hanzi {
            c.to_pinyin_multi()
                .map(|m| m.into_iter().map(|p| p.plain()).collect())
                .unwrap_or_default()
        } else {
            c.to_pinyin().map(|p| vec![p.plain()]).unwrap_or_default()
        };
        if !readings.is_empty() {
            flush(&mut run, &mut out);
            let mut typed: Vec<String> = Vec::new();
            for r in readings {
                // ü is typed as v on a pinyin keyboard and as u elsewhere.
                for r in [r.replace('ü', "v"), r.replace('ü', "u")] {
                    if !typed.contains(&r) {
                        typed.push(r);
                    }
                }
            }
            out.push(Token {
                readings: typed,
                hanzi: true,
            });
        } else if c.is_alphanumeric() {
            run.extend(c.to_lowercase());
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// At most this many spellings of one name are indexed, however many
/// readings its characters have.
const MAX_SPELLINGS: usize = 16;

/// Every combination of the tokens' readings, together and spaced. Only
/// the first hanzi has more than the ü pair of readings, so this stays a
/// handful of spellings.
fn spellings(tokens: &[Token]) -> Vec<(String, String)> {
    let mut spellings: Vec<Vec<&str>> = vec![Vec::new()];
    for t in tokens {
        spellings = spellings
            .iter()
            .flat_map(|s| {
                t.readings.iter().map(move |r| {
                    let mut s = s.clone();
                    s.push(r.as_str());
                    s
                })
            })
            .take(MAX_SPELLINGS)
            .collect();
    }
    spellings
        .iter()
        .map(|s| (s.concat(), s.join(" ")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiercare_core::network::{PersonName, Romanised};

    fn values(terms: &[(String, String)], param: &str) -> Vec<String> {
        terms
            .iter()
            .filter(|(p, _)| p == param)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// What a prefix search for `query` finds among the terms, as the store
    /// matches it (lower-cased query, `LIKE 'query%'`).
    fn found(terms: &[(String, String)], param: &str, query: &str) -> bool {
        let q = query.to_lowercase();
        values(terms, param).iter().any(|v| v.starts_with(&q))
    }

    #[test]
    fn a_chinese_name_is_found_by_hanzi_and_by_pinyin() {
        let t = name_terms("name", "河口镇卫生院");
        for q in [
            "河口",
            "河口镇卫生院",
            "hekou",
            "Hekou",
            "HEKOUZHEN",
            "he kou",
        ] {
            assert!(found(&t, "name", q), "{q} in {t:?}");
        }
        assert!(!found(&t, "name", "卫生院") && !found(&t, "name", "hekuo"));
        // Latin letters and digits among the hanzi stay as they are.
        let t = name_terms("name", "ZX市人民医院");
        assert!(values(&t, "name").contains(&"zxshirenminyiyuan".to_string()));
        assert!(values(&t, "name").contains(&"zx shi ren min yi yuan".to_string()));
        let t = name_terms("name", "河口镇卫生院家庭医生团队1");
        assert!(values(&t, "name").contains(&"hekouzhenweishengyuanjiatingyishengtuandui1".into()));
        // A latin name gets no pinyin of its own.
        assert_eq!(
            name_terms("name", "Hekou Township"),
            string_terms("name", "Hekou Township")
        );
        assert!(pinyin_spellings("Hekou", false).is_empty());
    }

    #[test]
    fn a_surname_is_found_by_each_of_its_readings_and_u_umlaut_both_ways() {
        let readings = pinyin_spellings("曾", true);
        assert!(readings.iter().any(|(t, _)| t == "zeng"), "{readings:?}");
        assert!(readings.iter().any(|(t, _)| t == "ceng"), "{readings:?}");
        let lv: Vec<String> = pinyin_spellings("吕", false)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert!(
            lv.contains(&"lv".into()) && lv.contains(&"lu".into()),
            "{lv:?}"
        );
    }

    #[test]
    fn a_person_is_found_by_family_given_and_whole_name_in_both_scripts() {
        let mut name = PersonName::new("王", "芳");
        name.pinyin = Some(Romanised {
            family: "Wang".into(),
            given: "Fang".into(),
        });
        let t = crate::practitioner::name_terms(&name);
        for q in [
            "王",
            "王芳",
            "芳",
            "wang",
            "Wang",
            "wangfang",
            "wang fang",
            "fang",
        ] {
            assert!(found(&t, "name", q), "name={q} in {t:?}");
        }
        assert!(found(&t, "family", "王") && found(&t, "family", "wang"));
        assert!(found(&t, "given", "芳") && found(&t, "given", "fang"));
        assert!(!found(&t, "family", "fang") && !found(&t, "name", "li"));
        // Derived from the hanzi alone, without stored pinyin.
        let t = crate::practitioner::name_terms(&PersonName::new("曾", "晓明"));
        for q in [
            "zengxiaoming",
            "zeng xiao ming",
            "cengxiaoming",
            "xiaoming",
            "晓明",
        ] {
            assert!(found(&t, "name", q), "name={q} in {t:?}");
        }
    }
}
