//! A submitted form or a query string as name-value pairs: repeated names
//! (the results to attach) stay repeated, and nothing is rejected before
//! the page can place a message next to the field.

use axum::body::Bytes;

/// The fields of a form or query, in order.
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses `application/x-www-form-urlencoded` text.
    pub fn parse(text: &[u8]) -> Fields {
        Fields(
            form_urlencoded::parse(text)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The fields of a form body.
    pub fn of_body(body: &Bytes) -> Fields {
        Fields::parse(body)
    }

    /// The fields of a query string, if any.
    pub fn of_query(raw: Option<&str>) -> Fields {
        Fields::parse(raw.unwrap_or_default().as_bytes())
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_stay_repeated_and_values_are_trimmed() {
        let f = Fields::parse(b"a=+1+&r=x&r=&r=y&name=%E7%8E%8B");
        assert_eq!(f.get("a"), "1");
        assert_eq!(f.all("r"), vec!["x".to_string(), "y".to_string()]);
        assert_eq!(f.get("name"), "王");
        assert_eq!(f.get("missing"), "");
    }
}
