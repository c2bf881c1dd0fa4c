//! FHIR's primitive types as tiercare reads them, strictly and in one
//! place: `date`, `dateTime` and `instant` (a year from 0001 to 9999, a
//! month and day that form a real calendar date, a time with its zone),
//! and the `string` rule (no control characters but tab, carriage return
//! and line feed; a bounded length). Every resource parser, every search
//! parameter of type date and the walk over every JSON body use these, so
//! what one path refuses no other path lets in.

use crate::limits;
use time::{Date, Month, OffsetDateTime, Time, UtcOffset};

/// Why a primitive value is not one FHIR allows; the message clients see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrimitiveError {
    #[error(
        "{0:?} is not a FHIR date: use YYYY, YYYY-MM or YYYY-MM-DD, the year from 0001 to 9999"
    )]
    DateShape(String),
    #[error("{0:?} is not a full date (YYYY-MM-DD, the year from 0001 to 9999)")]
    NotFullDate(String),
    #[error("{0:?} is not a day of the calendar")]
    NoSuchDay(String),
    #[error(
        "{0:?} is not a FHIR dateTime: use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a time zone (Z or +hh:mm)"
    )]
    DateTimeShape(String),
    #[error(
        "{0:?} is not a FHIR instant: use YYYY-MM-DDThh:mm:ss (optionally .sss) with a time zone (Z or +hh:mm)"
    )]
    InstantShape(String),
    #[error("the text contains the control character U+{0:04X}, which FHIR strings may not hold")]
    ControlCharacter(u32),
    #[error("the text is {chars} characters long; tiercare accepts at most {max} here")]
    TooLong { chars: usize, max: usize },
}

/// A FHIR `date`: a year, a month of a year or a day. Searches and
/// periods use the first and the last day it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialDate {
    Year(i32),
    Month(i32, Month),
    Day(Date),
}

impl PartialDate {
    /// Reads `YYYY`, `YYYY-MM` or `YYYY-MM-DD` with a year of four digits
    /// from 0001 to 9999 and a month and day that exist.
    pub fn parse(text: &str) -> Result<PartialDate, PrimitiveError> {
        let shape = || PrimitiveError::DateShape(text.to_string());
        let b = text.as_bytes();
        if !matches!(b.len(), 4 | 7 | 10) {
            return Err(shape());
        }
        let year = digits(b, 0, 4).ok_or_else(shape)?;
        if year == 0 {
            return Err(shape());
        }
        let year = i32::try_from(year).map_err(|_| shape())?;
        if b.len() == 4 {
            return Ok(PartialDate::Year(year));
        }
        if b[4] != b'-' {
            return Err(shape());
        }
        let month = digits(b, 5, 2)
            .and_then(|m| u8::try_from(m).ok())
            .and_then(|m| Month::try_from(m).ok())
            .ok_or_else(shape)?;
        if b.len() == 7 {
            return Ok(PartialDate::Month(year, month));
        }
        if b[7] != b'-' {
            return Err(shape());
        }
        let day = digits(b, 8, 2)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or_else(shape)?;
        Date::from_calendar_date(year, month, day)
            .map(PartialDate::Day)
            .map_err(|_| PrimitiveError::NoSuchDay(text.to_string()))
    }

    /// The first day the date covers.
    pub fn first_day(self) -> Date {
        match self {
            PartialDate::Year(y) => calendar(y, Month::January, 1),
            PartialDate::Month(y, m) => calendar(y, m, 1),
            PartialDate::Day(d) => d,
        }
    }

    /// The last day the date covers.
    pub fn last_day(self) -> Date {
        match self {
            PartialDate::Year(y) => calendar(y, Month::December, 31),
            PartialDate::Month(y, m) => calendar(y, m, m.length(y)),
            PartialDate::Day(d) => d,
        }
    }
}

/// A day of a year known to be in 1..=9999, with a month and day taken
/// from the calendar itself, so it always exists.
fn calendar(year: i32, month: Month, day: u8) -> Date {
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MIN)
}

/// The number written by `len` ASCII digits at `at`, if they are digits.
fn digits(b: &[u8], at: usize, len: usize) -> Option<u32> {
    let s = b.get(at..at + len)?;
    s.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

/// A full FHIR `date` (`YYYY-MM-DD`), as a birth date or a day of care is.
pub fn full_date(text: &str) -> Result<Date, PrimitiveError> {
    match PartialDate::parse(text) {
        Ok(PartialDate::Day(d)) => Ok(d),
        Ok(_) | Err(PrimitiveError::DateShape(_)) => {
            Err(PrimitiveError::NotFullDate(text.to_string()))
        }
        Err(e) => Err(e),
    }
}

/// A FHIR `instant`: `YYYY-MM-DDThh:mm:ss[.fffffffff](Z|+hh:mm|-hh:mm)`.
/// A leap second (`:60`) is refused: tiercare keeps times to the second
/// and could not give it back.
pub fn instant(text: &str) -> Result<OffsetDateTime, PrimitiveError> {
    let shape = || PrimitiveError::InstantShape(text.to_string());
    let (day, rest) = text.split_at_checked(10).ok_or_else(shape)?;
    let date = match PartialDate::parse(day) {
        Ok(PartialDate::Day(d)) => d,
        Err(PrimitiveError::NoSuchDay(_)) => {
            return Err(PrimitiveError::NoSuchDay(day.to_string()));
        }
        _ => return Err(shape()),
    };
    let b = rest.as_bytes();
    if b.len() < 9 || b[0] != b'T' || b[3] != b':' || b[6] != b':' {
        return Err(shape());
    }
    let hour = digits(b, 1, 2).filter(|h| *h < 24).ok_or_else(shape)?;
    let minute = digits(b, 4, 2).filter(|m| *m < 60).ok_or_else(shape)?;
    let second = digits(b, 7, 2).filter(|s| *s < 60).ok_or_else(shape)?;
    let mut at = 9;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        let n = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&n) {
            return Err(shape());
        }
        let frac = digits(b, at + 1, n).ok_or_else(shape)?;
        nanos = frac * 10u32.pow(9 - n as u32);
        at += 1 + n;
    }
    let offset = match &b[at..] {
        b"Z" => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let zone = [*h1, *h2, *m1, *m2];
            let h = digits(&zone, 0, 2).ok_or_else(shape)?;
            let m = digits(&zone, 2, 2).filter(|m| *m < 60).ok_or_else(shape)?;
            if h > 14 || (h == 14 && m > 0) {
                return Err(shape());
            }
            let sign = if *sign == b'-' { -1 } else { 1 };
            let (h, m) = (sign * h as i8, sign * m as i8);
            UtcOffset::from_hms(h, m, 0).map_err(|_| shape())?
        }
        _ => return Err(shape()),
    };
    let time =
        Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos).map_err(|_| shape())?;
    Ok(date.with_time(time).assume_offset(offset))
}

/// A FHIR `dateTime`: a date ([`PartialDate`]) or an [`instant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTime {
    Date(PartialDate),
    At(OffsetDateTime),
}

/// Reads a FHIR `dateTime`.
pub fn date_time(text: &str) -> Result<DateTime, PrimitiveError> {
    if text.len() <= 10 {
        return match PartialDate::parse(text) {
            Ok(d) => Ok(DateTime::Date(d)),
            Err(PrimitiveError::DateShape(_)) => {
                Err(PrimitiveError::DateTimeShape(text.to_string()))
            }
            Err(e) => Err(e),
        };
    }
    match instant(text) {
        Ok(t) => Ok(DateTime::At(t)),
        Err(PrimitiveError::InstantShape(_)) => {
            Err(PrimitiveError::DateTimeShape(text.to_string()))
        }
        Err(e) => Err(e),
    }
}

/// The day a FHIR `dateTime` falls on, as written (an instant's date in
/// its own time zone): for a period of whole days sent either way.
pub fn day_of(text: &str) -> Result<Date, PrimitiveError> {
    match date_time(text)? {
        DateTime::At(t) => Ok(t.date()),
        DateTime::Date(PartialDate::Day(d)) => Ok(d),
        DateTime::Date(_) => Err(PrimitiveError::NotFullDate(text.to_string())),
    }
}

/// Checks FHIR's `string` rule, with `max` characters at most: any
/// character but the controls U+0000 to U+001F, of which tab, carriage
/// return and line feed are allowed.
pub fn check_string(text: &str, max: usize) -> Result<(), PrimitiveError> {
    if let Some(c) = text
        .chars()
        .find(|c| c.is_ascii_control() && *c != '\u{7f}' && !matches!(c, '\t' | '\r' | '\n'))
    {
        return Err(PrimitiveError::ControlCharacter(u32::from(c)));
    }
    // A character is at least a byte: only a long text needs counting.
    if text.len() > max {
        let chars = text.chars().count();
        if chars > max {
            return Err(PrimitiveError::TooLong { chars, max });
        }
    }
    Ok(())
}

/// The most characters the element `name` may hold, inside `parent` (the
/// element around it, if any): free text is longer than an ordinary
/// string (see [`limits`]).
pub fn max_chars(name: &str, parent: Option<&str>) -> usize {
    let free_text =
        limits::TEXT_ELEMENTS.contains(&name) || (name == "text" && parent == Some("note"));
    if free_text {
        limits::MAX_TEXT_CHARS
    } else {
        limits::MAX_STRING_CHARS
    }
}

/// The date type an element holds by its name alone, when FHIR's naming
/// fixes it: a choice element's suffix (`valueDate`, `effectiveDateTime`,
/// `valueInstant`) or `birthDate`. Other date elements (`start`, `date`)
/// are typed by their resource and checked by its parser.
pub fn date_kind(name: &str) -> Option<DateKind> {
    if name.ends_with("DateTime") {
        Some(DateKind::DateTime)
    } else if name.ends_with("Instant") {
        Some(DateKind::Instant)
    } else if name == "birthDate" || name == "valueDate" {
        Some(DateKind::Date)
    } else {
        None
    }
}

/// Which of FHIR's date types an element holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateKind {
    Date,
    DateTime,
    Instant,
}

impl DateKind {
    /// Checks `text` against the type.
    pub fn check(self, text: &str) -> Result<(), PrimitiveError> {
        match self {
            DateKind::Date => PartialDate::parse(text).map(|_| ()),
            DateKind::DateTime => date_time(text).map(|_| ()),
            DateKind::Instant => instant(text).map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_date_has_a_year_from_0001_to_9999_and_a_real_day() {
        assert_eq!(
            PartialDate::parse("1950-05-06"),
            Ok(PartialDate::Day(date!(1950 - 05 - 06)))
        );
        assert_eq!(
            PartialDate::parse("2024-02"),
            Ok(PartialDate::Month(2024, Month::February))
        );
        assert_eq!(PartialDate::parse("0001"), Ok(PartialDate::Year(1)));
        for bad in [
            "0000-01-01",
            "-0001-01-01",
            "+2020-01-01",
            "10000-01-01",
            "2020-13",
            "2020-00-10",
            "2020-1-1",
            "2020/01/01",
            "20200101",
            "",
            "２０２０",
        ] {
            assert!(
                matches!(PartialDate::parse(bad), Err(PrimitiveError::DateShape(_))),
                "{bad}"
            );
        }
        assert_eq!(
            PartialDate::parse("2026-02-30"),
            Err(PrimitiveError::NoSuchDay("2026-02-30".into()))
        );
        assert!(PartialDate::parse("2023-02-29").is_err());
        assert!(PartialDate::parse("2024-02-29").is_ok());
    }

    #[test]
    fn a_partial_date_covers_its_first_to_its_last_day() {
        let feb = PartialDate::parse("2024-02").unwrap();
        assert_eq!(feb.first_day(), date!(2024 - 02 - 01));
        assert_eq!(feb.last_day(), date!(2024 - 02 - 29));
        let year = PartialDate::parse("9999").unwrap();
        assert_eq!(year.last_day(), date!(9999 - 12 - 31));
    }

    #[test]
    fn a_full_date_needs_the_day() {
        assert_eq!(full_date("2020-03-01"), Ok(date!(2020 - 03 - 01)));
        assert_eq!(
            full_date("2020-03"),
            Err(PrimitiveError::NotFullDate("2020-03".into()))
        );
        assert_eq!(
            full_date("0000-01-01"),
            Err(PrimitiveError::NotFullDate("0000-01-01".into()))
        );
        assert_eq!(
            full_date("2021-04-31"),
            Err(PrimitiveError::NoSuchDay("2021-04-31".into()))
        );
    }

    #[test]
    fn an_instant_has_a_time_and_a_zone() {
        assert_eq!(
            instant("2026-03-01T08:30:00Z"),
            Ok(datetime!(2026-03-01 08:30:00 UTC))
        );
        assert_eq!(
            instant("2026-03-01T08:30:00.25+08:00"),
            Ok(datetime!(2026-03-01 08:30:00.25 +08:00))
        );
        assert_eq!(
            instant("2026-03-01T08:30:00-14:00"),
            Ok(datetime!(2026-03-01 08:30:00 -14:00))
        );
        for bad in [
            "2026-03-01",
            "2026-03-01T08:30:00",
            "2026-03-01T24:00:00Z",
            "2026-03-01T08:60:00Z",
            "2026-03-01T08:30:60Z",
            "2026-03-01t08:30:00Z",
            "2026-03-01T08:30:00z",
            "2026-03-01T08:30:00.Z",
            "2026-03-01T08:30:00.1234567890Z",
            "2026-03-01T08:30:00+14:30",
            "2026-03-01T08:30:00+0800",
            "0000-03-01T08:30:00Z",
            "2026-03-01 08:30:00Z",
        ] {
            assert!(
                matches!(instant(bad), Err(PrimitiveError::InstantShape(_))),
                "{bad}"
            );
        }
        assert_eq!(
            instant("2026-02-29T08:30:00Z"),
            Err(PrimitiveError::NoSuchDay("2026-02-29".into()))
        );
    }

    #[test]
    fn a_date_time_is_a_date_or_an_instant() {
        assert_eq!(
            date_time("2026"),
            Ok(DateTime::Date(PartialDate::Year(2026)))
        );
        assert_eq!(
            date_time("2026-03-01T08:30:00Z"),
            Ok(DateTime::At(datetime!(2026-03-01 08:30:00 UTC)))
        );
        assert!(matches!(
            date_time("2026-03-01T08:30"),
            Err(PrimitiveError::DateTimeShape(_))
        ));
        assert!(matches!(
            date_time("0000"),
            Err(PrimitiveError::DateTimeShape(_))
        ));
        assert!(matches!(
            date_time("2026-04-31"),
            Err(PrimitiveError::NoSuchDay(_))
        ));
        assert_eq!(
            day_of("2026-03-01T23:30:00-05:00"),
            Ok(date!(2026 - 03 - 01))
        );
        assert_eq!(day_of("2026-03-01"), Ok(date!(2026 - 03 - 01)));
        assert!(day_of("2026-03").is_err());
        assert!(day_of("2026-03-01Tgarbage").is_err());
    }

    #[test]
    fn a_string_holds_no_control_character_but_tab_and_line_ends() {
        assert_eq!(check_string("王\t芳\r\nline", 100), Ok(()));
        assert_eq!(
            check_string("a\u{0}b", 100),
            Err(PrimitiveError::ControlCharacter(0))
        );
        assert_eq!(
            check_string("\u{1b}[31m", 100),
            Err(PrimitiveError::ControlCharacter(0x1b))
        );
        assert_eq!(
            PrimitiveError::ControlCharacter(0).to_string(),
            "the text contains the control character U+0000, which FHIR strings may not hold"
        );
    }

    #[test]
    fn a_string_is_bounded_in_characters_not_bytes() {
        // Four characters of three bytes each: twelve bytes.
        assert_eq!(check_string("王芳王芳", 4), Ok(()));
        assert_eq!(
            check_string("王芳王芳王", 4),
            Err(PrimitiveError::TooLong { chars: 5, max: 4 })
        );
        assert_eq!(max_chars("family", Some("name")), limits::MAX_STRING_CHARS);
        assert_eq!(max_chars("text", Some("code")), limits::MAX_STRING_CHARS);
        assert_eq!(max_chars("text", Some("note")), limits::MAX_TEXT_CHARS);
        assert_eq!(max_chars("contentString", None), limits::MAX_TEXT_CHARS);
    }

    #[test]
    fn choice_elements_are_typed_by_their_suffix() {
        assert_eq!(date_kind("birthDate"), Some(DateKind::Date));
        assert_eq!(date_kind("valueDateTime"), Some(DateKind::DateTime));
        assert_eq!(date_kind("valueInstant"), Some(DateKind::Instant));
        assert_eq!(date_kind("family"), None);
        assert!(DateKind::Date.check("9999-12-31").is_ok());
        assert!(DateKind::Date.check("0000-01-01").is_err());
        assert!(DateKind::DateTime.check("2026-01-01T00:00:00Z").is_ok());
    }
}
