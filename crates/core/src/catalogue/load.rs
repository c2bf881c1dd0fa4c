//! Loading a catalogue from TOML, with errors that name the entry and field.

use super::*;

/// The keys a `[[condition]]` table may have.
pub const CONDITION_FIELDS: [&str; 10] = [
    "code",
    "name",
    "name_zh",
    "specialty",
    "level",
    "moderate",
    "severe",
    "emergency",
    "chronic",
    "note",
];

impl Catalogue {
    /// Parses and validates a catalogue in the format of `data/conditions.toml`.
    ///
    /// Rejects, naming the condition and field: missing or mistyped fields,
    /// unknown keys, invalid codes, ranges that end before they start or
    /// overlap another entry, unknown specialties or levels, and levels out of
    /// order (`level <= moderate <= severe`, `emergency >= level`).
    pub fn from_toml(text: &str) -> Result<Catalogue, CatalogueError> {
        let root: toml::Table =
            toml::from_str(text).map_err(|e| CatalogueError::Parse(e.to_string()))?;
        if let Some(key) = root.keys().find(|k| *k != "condition") {
            return Err(CatalogueError::Parse(format!(
                "unknown top-level key `{key}`; expected only [[condition]] tables"
            )));
        }
        let entries = match root.get("condition") {
            None => return Err(CatalogueError::Empty),
            Some(toml::Value::Array(entries)) => entries,
            Some(_) => {
                return Err(CatalogueError::Parse(
                    "`condition` must be written as [[condition]] tables".into(),
                ));
            }
        };
        if entries.is_empty() {
            return Err(CatalogueError::Empty);
        }
        let conditions = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| parse_condition(i + 1, entry))
            .collect::<Result<Vec<_>, _>>()?;

        let mut by_start: Vec<usize> = (0..conditions.len()).collect();
        by_start.sort_by(|&a, &b| conditions[a].code.start.cmp(&conditions[b].code.start));
        // Sorted by start, any overlap shows up between neighbours.
        for pair in by_start.windows(2) {
            let (a, b) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
            if conditions[a].code.overlaps(&conditions[b].code) {
                return Err(CatalogueError::Invalid {
                    condition: label(b + 1, &conditions[b]),
                    field: "code",
                    message: format!(
                        "overlaps condition {}; every code must belong to one entry only",
                        label(a + 1, &conditions[a])
                    ),
                });
            }
        }
        Ok(Catalogue {
            conditions,
            by_start,
        })
    }
}

/// How an entry is named in errors: its number in the file, code and name.
fn label(number: usize, c: &Condition) -> String {
    format!("#{number} {} {}", c.code, c.name)
}

fn parse_condition(number: usize, entry: &toml::Value) -> Result<Condition, CatalogueError> {
    let Some(table) = entry.as_table() else {
        return Err(CatalogueError::Parse(format!(
            "condition #{number} is not a table"
        )));
    };
    let mut name_of = format!("#{number}");
    for key in ["code", "name"] {
        if let Some(text) = table.get(key).and_then(toml::Value::as_str) {
            name_of.push(' ');
            name_of.push_str(text);
        }
    }
    if let Some(key) = table
        .keys()
        .find(|k| !CONDITION_FIELDS.contains(&k.as_str()))
    {
        return Err(CatalogueError::UnknownKey {
            condition: name_of,
            key: key.clone(),
        });
    }
    let invalid = |field: &'static str, message: String| CatalogueError::Invalid {
        condition: name_of.clone(),
        field,
        message,
    };
    let text = |field: &'static str| -> Result<&str, CatalogueError> {
        match table.get(field) {
            None => Err(invalid(field, "is missing".into())),
            Some(toml::Value::String(s)) if s.trim().is_empty() => {
                Err(invalid(field, "must not be empty".into()))
            }
            Some(toml::Value::String(s)) => Ok(s.as_str()),
            Some(other) => Err(invalid(
                field,
                format!("must be a string, not {}", other.type_str()),
            )),
        }
    };
    let level = |field: &'static str| -> Result<Level, CatalogueError> {
        let code = text(field)?;
        Level::from_code(code).ok_or_else(|| {
            invalid(
                field,
                format!("unknown level {code:?}; expected primary, secondary or tertiary"),
            )
        })
    };

    let code: IcdRange = text("code")?
        .parse()
        .map_err(|e: InvalidIcdCode| invalid("code", e.to_string()))?;
    let name = text("name")?.trim().to_string();
    let name_zh = match table.get("name_zh") {
        None => None,
        Some(_) => Some(text("name_zh")?.trim().to_string()),
    };
    let specialty_code = text("specialty")?;
    let specialty = Specialty::from_code(specialty_code).ok_or_else(|| {
        let known: Vec<&str> = Specialty::ALL.iter().map(|s| s.code()).collect();
        invalid(
            "specialty",
            format!(
                "unknown specialty {specialty_code:?}; expected one of {}",
                known.join(", ")
            ),
        )
    })?;
    let base = level("level")?;
    let moderate = level("moderate")?;
    let severe = level("severe")?;
    let emergency = level("emergency")?;
    let chronic = match table.get("chronic") {
        None => return Err(invalid("chronic", "is missing".into())),
        Some(toml::Value::Boolean(b)) => *b,
        Some(other) => {
            return Err(invalid(
                "chronic",
                format!("must be true or false, not {}", other.type_str()),
            ));
        }
    };
    let note = text("note")?.trim().to_string();

    let below = |field: &'static str, lower: Level, what: &str, higher: Level| {
        invalid(
            field,
            format!(
                "{field} level ({lower}) is below the {what} ({higher}); a worse case never belongs at a lower level"
            ),
        )
    };
    if moderate < base {
        return Err(below("moderate", moderate, "condition's level", base));
    }
    if severe < moderate {
        return Err(below("severe", severe, "moderate level", moderate));
    }
    if emergency < base {
        return Err(below("emergency", emergency, "condition's level", base));
    }
    Ok(Condition {
        code,
        name,
        name_zh,
        specialty,
        level: base,
        moderate,
        severe,
        emergency,
        chronic,
        note,
    })
}
