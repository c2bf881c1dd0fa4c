//! Names people read instead of codes: a condition by its name in the
//! user's language, with its ICD-10 code beside it for the record.

use crate::i18n::Lang;
use tiercare_core::catalogue::{Catalogue, IcdCode};

/// A diagnosis as a page shows it: "原发性高血压（I10）" / "Essential
/// hypertension (I10)"; a code outside the catalogue shows as itself.
pub fn condition(lang: Lang, code: &str) -> String {
    let Ok(icd) = code.parse::<IcdCode>() else {
        return code.to_string();
    };
    match Catalogue::bundled().find(&icd) {
        Some(c) => match lang {
            Lang::Zh => format!("{}（{code}）", c.display_in(lang.code())),
            Lang::En => format!("{} ({code})", c.display_in(lang.code())),
        },
        None => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_shows_by_name_with_its_code() {
        let zh = condition(Lang::Zh, "I10");
        assert!(
            zh.ends_with("（I10）") && zh.len() > "（I10）".len(),
            "{zh}"
        );
        let en = condition(Lang::En, "I10");
        assert!(en.ends_with(" (I10)"), "{en}");
        assert_eq!(condition(Lang::En, "not-a-code"), "not-a-code");
    }
}
