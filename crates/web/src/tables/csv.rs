//! A dashboard table as a CSV file: the byte-order mark Excel needs to
//! read UTF-8, headings in the reader's language, codes and exact numbers
//! in the cells, text a spreadsheet would run as a formula defused, and a
//! file name in ASCII and in the reader's language.

use super::{Cell, Table};
use crate::UiError;

/// One CSV field: quoted when it must be (RFC 4180), and text that a
/// spreadsheet would run as a formula (an institution named `=HYPERLINK(...)`)
/// defused with a leading apostrophe. Numbers are never touched.
fn field(cell: &Cell) -> String {
    let mut s = cell.raw();
    if !cell.is_figure() && s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        s.insert(0, '\'');
    }
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A file name any system accepts: letters, digits, dots, dashes and
/// underscores; anything else becomes a dash.
pub fn ascii_file_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A file name in the reader's language, without the characters file
/// systems refuse (`/ \ : * ? " < > |` and control characters).
pub fn file_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// The `Content-Disposition` of a download: an ASCII `filename` for old
/// clients and the name in the reader's language as `filename*` (RFC 6266,
/// percent-encoded UTF-8 as RFC 8187 writes it).
pub fn disposition(ascii: &str, name: &str) -> String {
    let mut encoded = String::new();
    for b in file_name(name).bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{encoded}",
        ascii_file_name(ascii)
    )
}

/// A table as a CSV download: `ascii` and `name` are its file name as
/// [`disposition`] gives them.
pub fn csv_response(
    ascii: &str,
    name: &str,
    t: &Table,
) -> Result<axum::response::Response, UiError> {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let disposition = HeaderValue::from_str(&disposition(ascii, name))
        .map_err(|e| UiError::Internal(format!("content disposition: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        to_csv(t),
    )
        .into_response())
}

/// The byte-order mark that tells spreadsheets (Excel above all) the file
/// is UTF-8, so Chinese headings and names open as they are.
pub const BOM: char = '\u{FEFF}';

/// The table as CSV: the byte-order mark, a header row of the columns'
/// headings in the reader's language, then one line per row, CRLF line
/// ends. Cells hold codes and exact numbers, the same in every language.
pub fn to_csv(t: &Table) -> String {
    let mut out = String::from(BOM);
    let header: Vec<String> = t
        .columns
        .iter()
        .map(|c| field(&Cell::Text(c.label.clone())))
        .collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in &t.rows {
        let line: Vec<String> = r.cells.iter().map(field).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::Format;
    use crate::tables::{Column, Row};

    #[test]
    fn csv_quotes_and_defuses_text_but_not_numbers() {
        let t = Table {
            key: "x",
            title: "x".into(),
            note: String::new(),
            columns: ["a", "b", "c"]
                .iter()
                .map(|k| Column {
                    key: (*k).into(),
                    label: k.to_uppercase(),
                })
                .collect(),
            rows: vec![Row {
                key: "r".into(),
                cells: vec![
                    Cell::Text("=HYPERLINK(\"http://evil\")".into()),
                    Cell::Figure(Some(-0.5), Format::Decimal),
                    Cell::Text("a, \"b\"\nc".into()),
                ],
            }],
        };
        assert_eq!(
            to_csv(&t),
            "\u{FEFF}A,B,C\r\n\"'=HYPERLINK(\"\"http://evil\"\")\",-0.5,\"a, \"\"b\"\"\nc\"\r\n"
        );
    }

    #[test]
    fn a_download_is_named_in_ascii_and_in_the_readers_language() {
        let d = disposition(
            "tiercare-levels-alliance:zx-all-2026-01-01",
            "各级机构-中县/医共体-2026-01-01.csv",
        );
        assert_eq!(
            d,
            "attachment; filename=\"tiercare-levels-alliance-zx-all-2026-01-01\"; \
             filename*=UTF-8''%E5%90%84%E7%BA%A7%E6%9C%BA%E6%9E%84-%E4%B8%AD%E5%8E%BF_\
             %E5%8C%BB%E5%85%B1%E4%BD%93-2026-01-01.csv"
        );
        assert!(axum::http::HeaderValue::from_str(&d).is_ok());
    }
}
