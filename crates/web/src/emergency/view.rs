//! A case in words: where the patient is going and why, the countdowns
//! (to the expected arrival and to the end of the condition's window, as
//! minutes left at the time of rendering), the alert's state and the
//! clock, and which steps the caller's side may record next.

use crate::Lang;
use crate::names::Names;
use tiercare_core::InstitutionId;
use tiercare_core::emergency::{Alert, EmergencyCase, Milestone, Step, Windows};
use time::{Duration, OffsetDateTime};

/// One option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One milestone of the clock.
pub struct ClockRow {
    pub code: &'static str,
    pub label: String,
    pub at: String,
    pub done: bool,
}

/// A case as the pages show it.
pub struct CaseView {
    pub id: String,
    pub patient: String,
    pub emergency: String,
    pub emergency_code: &'static str,
    pub contact: String,
    pub from: String,
    pub destination: String,
    pub go_to: String,
    pub then: String,
    pub rule: String,
    pub alert_waiting: bool,
    pub alert: String,
    /// The arrival countdown; empty once arrived.
    pub eta: String,
    pub eta_overdue: bool,
    /// The window countdown; empty once treated.
    pub window: String,
    pub window_over: bool,
    pub clock: Vec<ClockRow>,
    pub intervals: Vec<String>,
    pub door_note: String,
    pub treated: String,
    pub transferred: String,
    pub outcome: String,
    pub closed: bool,
    /// The caller's institution is the destination.
    pub at_destination: bool,
    pub can_ecg: bool,
    pub can_departure: bool,
    pub can_door: bool,
    pub can_treat: bool,
    pub can_transfer: bool,
    pub outcome_due: bool,
}

/// Minutes until `target` (true when it has passed, with the minutes
/// since).
fn left(target: OffsetDateTime, now: OffsetDateTime) -> (i64, bool) {
    if target >= now {
        ((target - now).whole_minutes(), false)
    } else {
        ((now - target).whole_minutes(), true)
    }
}

async fn step_words(lang: Lang, names: &mut Names<'_>, key: &str, step: &Step) -> (String, String) {
    let place = names.institution(step.institution.as_str()).await;
    let words = lang.t_with(
        key,
        &[
            ("place", place.clone()),
            (
                "treatment",
                lang.coded("emergency-treatment", step.treatment.code()),
            ),
            ("minutes", step.travel_minutes.to_string()),
        ],
    );
    (words, place)
}

/// The case as `mine` (the caller's institution) sees it at `now`.
pub async fn view_of(
    lang: Lang,
    names: &mut Names<'_>,
    case: &EmergencyCase,
    mine: &InstitutionId,
    windows: &Windows,
    now: OffsetDateTime,
) -> CaseView {
    let c = &case.clock;
    let (go_to, destination) =
        step_words(lang, names, "emergency-go-to", &case.decision.first).await;
    let then = match &case.decision.then {
        Some(s) => step_words(lang, names, "emergency-then", s).await.0,
        None => String::new(),
    };
    let from = match &case.from {
        Some(i) => names.institution(i.as_str()).await,
        None => lang.t("emergency-roadside"),
    };
    let alert = match &case.alert {
        Alert::Sent { at } => lang.t_with("emergency-alert-sent", &[("at", lang.moment(*at))]),
        Alert::Acknowledged { by, at, .. } => lang.t_with(
            "emergency-alert-acknowledged",
            &[
                ("by", names.practitioner(by.as_str()).await),
                ("at", lang.moment(*at)),
            ],
        ),
    };
    let (eta, eta_overdue) = match c.door {
        Some(_) => (String::new(), false),
        None => {
            let start = c.departure.unwrap_or(c.decision);
            let arrive = start + Duration::minutes(i64::from(case.decision.first.travel_minutes));
            let (m, over) = left(arrive, now);
            let key = if over {
                "emergency-eta-overdue"
            } else {
                "emergency-eta"
            };
            (lang.t_with(key, &[("minutes", m.to_string())]), over)
        }
    };
    let (window_words, window_over) = match (c.treatment, case.closed()) {
        (None, false) => {
            let end = case.window_closes(windows);
            let (m, over) = left(end, now);
            let key = if over {
                "emergency-window-over"
            } else {
                "emergency-window-left"
            };
            let name = lang.coded("emergency-window", case.emergency.code());
            (
                lang.t_with(key, &[("window", name), ("minutes", m.to_string())]),
                over,
            )
        }
        _ => (String::new(), false),
    };
    let clock = Milestone::ALL
        .iter()
        .map(|&m| ClockRow {
            code: m.code(),
            label: lang.coded("emergency-milestone", m.code()),
            at: c.at(m).map(|t| lang.moment(t)).unwrap_or_default(),
            done: c.at(m).is_some(),
        })
        .collect();
    use Milestone::{Door, Ecg, FirstContact, Treatment};
    let intervals = [
        ("emergency-fmc-to-ecg", FirstContact, Ecg),
        ("emergency-door-to-treatment", Door, Treatment),
        ("emergency-fmc-to-treatment", FirstContact, Treatment),
    ]
    .into_iter()
    .filter_map(|(key, a, b)| {
        c.minutes(a, b)
            .map(|m| lang.t_with(key, &[("minutes", m.to_string())]))
    })
    .collect();
    let at_destination = case.destination() == mine;
    let at_from = case.from.as_ref() == Some(mine);
    let open = !case.closed();
    let transferred = match &case.transfer_out {
        Some(t) => lang.t_with(
            "emergency-transferred",
            &[
                ("place", names.institution(t.to.as_str()).await),
                ("at", lang.moment(t.at)),
            ],
        ),
        None => String::new(),
    };
    CaseView {
        id: case.id.to_string(),
        patient: case.patient.to_string(),
        emergency: lang.coded("emergency-kind", case.emergency.code()),
        emergency_code: case.emergency.code(),
        contact: lang.coded("emergency-contact", case.contact.code()),
        from,
        destination,
        go_to,
        then,
        rule: lang.coded("emergency-rule", case.decision.rule.code()),
        alert_waiting: matches!(case.alert, Alert::Sent { .. }),
        alert,
        eta,
        eta_overdue,
        window: window_words,
        window_over,
        clock,
        intervals,
        door_note: match case.bypassed_emergency_department {
            Some(true) => lang.t("emergency-bypassed"),
            Some(false) => lang.t("emergency-through-ed"),
            None => String::new(),
        },
        treated: case
            .treated_with
            .map(|t| lang.coded("emergency-treatment", t.code()))
            .unwrap_or_default(),
        transferred,
        outcome: case
            .outcome
            .map(|o| {
                let code = match o {
                    tiercare_core::emergency::Outcome::Alive => "alive",
                    tiercare_core::emergency::Outcome::Died => "died",
                };
                lang.coded("emergency-outcome", code)
            })
            .unwrap_or_default(),
        closed: case.closed(),
        at_destination,
        can_ecg: open && c.ecg.is_none(),
        can_departure: open
            && c.departure.is_none()
            && c.door.is_none()
            && (at_from || case.from.is_none()),
        can_door: open && at_destination && c.door.is_none(),
        can_treat: open && at_destination && c.treatment.is_none(),
        can_transfer: open && case.transfer_out.is_none(),
        outcome_due: open && now >= c.first_contact + Duration::days(30),
    }
}

#[cfg(test)]
mod tests {
    use super::left;
    use time::macros::datetime;

    #[test]
    fn a_countdown_says_the_minutes_left_or_since() {
        let now = datetime!(2026-12-08 02:00 UTC);
        assert_eq!(left(datetime!(2026-12-08 03:18:30 UTC), now), (78, false));
        assert_eq!(left(now, now), (0, false));
        assert_eq!(left(datetime!(2026-12-08 01:48 UTC), now), (12, true));
    }
}
