//! What an oversight page says about its figures besides the figures: that
//! nothing was recorded, or where part of them comes from.

use crate::i18n::Lang;
use tiercare_core::indicators::Indicators;

/// Whether nothing at all was recorded for a subject in a period: no
/// visit, no referral, no episode, no contract.
pub fn nothing_recorded(i: &Indicators) -> bool {
    i.visits == 0
        && i.referrals_up + i.referrals_down == 0
        && i.episodes == 0
        && i.contract_coverage.is_none()
}

/// Says how many of the period's visits were handed over as totals with
/// no record behind them, when any were: a reader must know which part of
/// a figure the platform's own records account for.
pub fn sources_note(lang: Lang, i: &Indicators) -> String {
    let handed = i.tally.institutions.handed_over;
    if handed == 0 {
        return String::new();
    }
    let recorded = i.visits.saturating_sub(handed);
    lang.t_with(
        "dashboard-sources",
        &[
            ("handed", handed.to_string()),
            ("recorded", recorded.to_string()),
        ],
    )
}

/// What an oversight page says instead of its figures when nothing was
/// recorded: that the period has not begun, if it has not.
pub fn nothing_recorded_message(lang: Lang, future: bool) -> String {
    lang.t(if future {
        "dashboard-empty-future"
    } else {
        "dashboard-empty"
    })
}
