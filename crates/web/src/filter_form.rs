//! The filter form of the oversight pages (the dashboard and the joint
//! programmes page): the period and the subject, and what a page shows
//! when it cannot use them.
//!
//! A filter the page cannot use (a date that is not one, a period that
//! ends before it starts or is longer than allowed, a subject that is not
//! one) is answered with the page's own frame and the form again, holding
//! what the reader typed, the field at fault marked and the refusal naming
//! it, so that the reader corrects it there rather than starting again
//! from the home page.

use crate::page::ChoiceGroup;
use crate::{Chrome, UiError, render};
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

/// The field of the filter form a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    From,
    To,
    /// The two dates together: their order, the period's length.
    Period,
    Subject,
    /// The query string as a whole (not the form's).
    Query,
}

impl Field {
    /// The field's name in the query string (`period` for both dates,
    /// `query` for the whole).
    pub fn code(self) -> &'static str {
        match self {
            Field::From => "from",
            Field::To => "to",
            Field::Period => "period",
            Field::Subject => "subject",
            Field::Query => "query",
        }
    }
}

/// A filter the page cannot use: which field, and why in the reader's
/// language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: Field,
    pub message: String,
}

impl Refusal {
    pub fn new(field: Field, message: String) -> Refusal {
        Refusal { field, message }
    }
}

impl From<Refusal> for UiError {
    fn from(r: Refusal) -> UiError {
        UiError::Refused(r)
    }
}

/// The form as a page shows it: its target, the values in its fields and
/// the subjects to choose from.
pub struct FilterForm {
    pub action: &'static str,
    pub from: String,
    pub to: String,
    /// A subject the reader asked for that is not among the choices,
    /// kept selected so that they see what they sent.
    pub unknown: String,
    pub choices: Vec<ChoiceGroup>,
    /// The field at fault, if any.
    pub invalid: Option<Field>,
}

impl FilterForm {
    /// The form for `action` holding `from`, `to` and the subject
    /// `subject` selected among `choices` (the first when it is empty).
    pub fn new(
        action: &'static str,
        from: &str,
        to: &str,
        subject: &str,
        mut choices: Vec<ChoiceGroup>,
    ) -> FilterForm {
        let subject = subject.trim();
        for c in choices.iter_mut().flat_map(|g| g.choices.iter_mut()) {
            c.selected = !subject.is_empty() && c.value == subject;
        }
        if subject.is_empty() {
            // The page's default subject: the first choice.
            if let Some(c) = choices.iter_mut().flat_map(|g| g.choices.iter_mut()).next() {
                c.selected = true;
            }
        }
        FilterForm {
            action,
            from: from.trim().to_string(),
            to: to.trim().to_string(),
            unknown: String::new(),
            choices,
            invalid: None,
        }
    }

    /// The form as the reader sent it: a subject that is not among the
    /// choices is kept, selected, so that they see what they sent.
    pub fn as_sent(mut self, subject: &str) -> FilterForm {
        let subject = subject.trim();
        let known = self
            .choices
            .iter()
            .flat_map(|g| &g.choices)
            .any(|c| c.value == subject);
        if !subject.is_empty() && !known {
            self.unknown = subject.to_string();
        }
        self
    }

    /// The field at fault as the page's `data-field` names it; empty when
    /// none is.
    pub fn invalid_code(&self) -> &'static str {
        self.invalid.map_or("", Field::code)
    }

    /// `aria-invalid` of the start date.
    pub fn from_invalid(&self) -> bool {
        matches!(self.invalid, Some(Field::From | Field::Period))
    }

    /// `aria-invalid` of the end date.
    pub fn to_invalid(&self) -> bool {
        matches!(self.invalid, Some(Field::To | Field::Period))
    }

    /// `aria-invalid` of the subject.
    pub fn subject_invalid(&self) -> bool {
        self.invalid == Some(Field::Subject)
    }
}

/// An oversight page that could not be shown for its filters: the frame,
/// the page's name, the form again and the refusal.
#[derive(Template)]
#[template(path = "refused.html")]
pub struct RefusedPage<'a> {
    pub chrome: &'a Chrome,
    pub heading: String,
    pub form: FilterForm,
    pub message: String,
}

/// Renders the page named `heading` refusing its filters with `refusal`,
/// the form holding what was sent.
pub fn refused(
    status: StatusCode,
    chrome: &Chrome,
    heading: String,
    mut form: FilterForm,
    refusal: Refusal,
) -> Response {
    form.invalid = Some(refusal.field);
    render(
        status,
        &RefusedPage {
            chrome,
            heading,
            form,
            message: refusal.message,
        },
    )
}
