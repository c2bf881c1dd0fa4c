//! Dose-response curves: 30-day mortality (and, for stroke, the chance of
//! a good outcome) as a function of the minutes from symptom onset (or
//! injury) to definitive treatment and of the treatment given.
//!
//! Each curve cites the body of work it follows. Where the literature
//! gives a relative effect, the absolute anchor is a calibrated
//! assumption chosen so that baseline case fatality falls in the range
//! reported for rural China (acute myocardial infarction about 10% without
//! a reperfusion network, about 3% with timely primary PCI: Renshou
//! County's fall from 10% to 3.1% after it built its centres). Every such
//! number is marked "assumption". The curves are non-decreasing in delay
//! and stay between 0 and 1; the tests check both and every documented
//! point.

/// Linear interpolation through `points` (minutes, value), flat beyond
/// the first and last point.
fn through(points: &[(f64, f64)], t: f64) -> f64 {
    let Some(&(t0, v0)) = points.first() else {
        return 0.0;
    };
    if t <= t0 {
        return v0;
    }
    for pair in points.windows(2) {
        let ((a, va), (b, vb)) = (pair[0], pair[1]);
        if t <= b {
            return va + (vb - va) * (t - a) / (b - a);
        }
    }
    points.last().map_or(v0, |p| p.1)
}

/// Minutes clamped to a usable delay (a negative or NaN delay is none).
fn minutes(t: f64) -> f64 {
    if t.is_nan() { 0.0 } else { t.max(0.0) }
}

/// STEMI 30-day mortality without reperfusion in a rural county: 10%
/// (assumption, from Renshou County's acute myocardial infarction
/// mortality before its chest pain centre; close to the control arms of
/// the fibrinolysis trials pooled by the FTT Collaborative Group, Lancet
/// 1994).
pub const STEMI_UNTREATED: f64 = 0.10;

/// STEMI mortality with primary PCI at `t` minutes from onset to wire.
///
/// Mortality rises by 7.5% (relative) for every 30 minutes of delay (De
/// Luca et al., Circulation 2004: one-year mortality and symptom-onset-to-
/// balloon time in primary angioplasty). Anchor (assumption): 3.0% at 120
/// minutes, the timely-PCI figure of county chest pain centres (Renshou:
/// 3.1%). Capped at [`STEMI_UNTREATED`]: late PCI is never worse than
/// none.
pub fn stemi_pci(t: f64) -> f64 {
    let t = minutes(t);
    (0.03 * 1.075f64.powf((t - 120.0) / 30.0)).min(STEMI_UNTREATED)
}

/// Absolute mortality reduction by fibrinolysis, by onset-to-needle
/// minutes: 6.5 points within the first hour, 3.7 at two hours, 2.9 at
/// three, 2.0 at six, 1.0 at twelve, none after a day. The shape is that
/// of Boersma et al. (Lancet 1996, "the golden hour" reappraisal: about
/// 65 lives per 1,000 treated in the first hour, 37 in the second, 26 to
/// 29 in the third to sixth, 18 in the sixth to twelfth) and the FTT
/// Collaborative Group's overview (Lancet 1994); the points are rounded
/// and made monotone (assumption).
pub const STEMI_LYSIS_BENEFIT: [(f64, f64); 6] = [
    (60.0, 0.065),
    (120.0, 0.037),
    (180.0, 0.029),
    (360.0, 0.020),
    (720.0, 0.010),
    (1440.0, 0.0),
];

/// STEMI mortality with fibrinolysis at `t` minutes from onset to needle
/// and no PCI after it: [`STEMI_UNTREATED`] less
/// [`STEMI_LYSIS_BENEFIT`].
pub fn stemi_lysis(t: f64) -> f64 {
    STEMI_UNTREATED - through(&STEMI_LYSIS_BENEFIT, minutes(t))
}

/// STEMI mortality with fibrinolysis at `needle` and PCI at `wire`
/// (pharmaco-invasive care): the better of the two (assumption, after the
/// STREAM trial, NEJM 2013, where early fibrinolysis followed by
/// angiography matched primary PCI delayed beyond an hour).
pub fn stemi_pharmaco_invasive(needle: f64, wire: f64) -> f64 {
    stemi_lysis(needle).min(stemi_pci(wire))
}

/// Stroke 30-day mortality by the care received (assumptions): with a
/// large-vessel occlusion 19% at a stroke centre without thrombectomy and
/// 15.3% with it (the pooled thrombectomy trials, HERMES, Goyal et al.,
/// Lancet 2016, 90-day mortality), 21% without any stroke centre; other
/// strokes 10% with stroke-unit care and 12% without (organised
/// stroke-unit care lowers deaths: the Stroke Unit Trialists'
/// Collaboration). Thrombolysis changes 30-day mortality little (its
/// benefit is in disability, [`stroke_lysis_odds_ratio`]), so the curve
/// does not depend on delay: a constant is monotone.
pub fn stroke_mortality(care: StrokeCare, large_vessel: bool) -> f64 {
    match (care, large_vessel) {
        (StrokeCare::Thrombectomy, _) => 0.153,
        (StrokeCare::Centre, true) => 0.19,
        (StrokeCare::Centre, false) => 0.10,
        (StrokeCare::None, true) => 0.21,
        (StrokeCare::None, false) => 0.12,
    }
}

/// The stroke care a patient got, for [`stroke_mortality`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrokeCare {
    /// No stroke centre reached.
    None,
    /// A stroke centre: stroke-unit care, with or without thrombolysis.
    Centre,
    Thrombectomy,
}

/// The odds ratio of a good outcome (modified Rankin 0-1 at 3 to 6
/// months) with thrombolysis against none, by onset-to-needle minutes,
/// through [`STROKE_LYSIS_ODDS`]: 1.75 at 150 minutes and 1.26 at 225
/// (the centres of the up-to-3-hour and 3-to-4.5-hour bands of Emberson
/// et al., Lancet 2014, the pooled alteplase trials), 2.3 at an hour (the
/// first segment carried back) and 1 at six hours (no benefit later;
/// Emberson's beyond-4.5-hour band, 1.15, was not significant). The band
/// centres and the two outer points are assumptions.
pub fn stroke_lysis_odds_ratio(t: f64) -> f64 {
    through(&STROKE_LYSIS_ODDS, minutes(t))
}

/// The points of [`stroke_lysis_odds_ratio`]: (onset-to-needle minutes,
/// odds ratio).
pub const STROKE_LYSIS_ODDS: [(f64, f64); 4] =
    [(60.0, 2.3), (150.0, 1.75), (225.0, 1.26), (360.0, 1.0)];

/// The chance of a good outcome after an ischaemic stroke without
/// thrombolysis: 25% (assumption, near the control arms of the pooled
/// alteplase trials).
pub const STROKE_GOOD_UNTREATED: f64 = 0.25;

/// The chance of a good outcome after thrombolysis at `t` minutes from
/// onset: [`STROKE_GOOD_UNTREATED`]'s odds times
/// [`stroke_lysis_odds_ratio`].
pub fn stroke_good_outcome_after_lysis(t: f64) -> f64 {
    let p = STROKE_GOOD_UNTREATED;
    let odds = p / (1.0 - p) * stroke_lysis_odds_ratio(t);
    odds / (1.0 + odds)
}

/// Major trauma 30-day mortality at `t` minutes from injury to surgery
/// at a trauma centre: 12% within the golden hour, 1.5 points more for
/// every 30 minutes after it, at most 35% (assumptions: the golden-hour
/// literature shows mortality rising with prehospital and transfer time
/// without one agreed slope). Away from a trauma centre deaths are a
/// third higher (treatment at a trauma centre lowered mortality by about
/// a quarter, relative risk 0.75: MacKenzie et al., NEJM 2006, the
/// National Study on the Costs and Outcomes of Trauma).
pub fn trauma(t: f64, at_centre: bool) -> f64 {
    let late = (minutes(t) - 60.0).max(0.0) / 30.0;
    let base = (0.12 + 0.015 * late).min(TRAUMA_UNTREATED);
    if at_centre {
        base
    } else {
        (base / 0.75).min(TRAUMA_UNTREATED)
    }
}

/// Major trauma mortality with no hospital reached (assumption).
pub const TRAUMA_UNTREATED: f64 = 0.35;

/// Obstetric emergency (haemorrhage, eclampsia, obstructed labour)
/// mortality at `t` minutes from onset to surgery: 0.5% within 30
/// minutes (the decision-to-delivery standard of obstetric guidance),
/// 0.25 points more for every 30 minutes after, at most 5%; at a theatre
/// outside a critical maternal care centre half as much again. All
/// assumptions: maternal deaths are rare, and no published curve gives
/// the slope for a Chinese county.
pub fn obstetric(t: f64, at_centre: bool) -> f64 {
    let late = (minutes(t) - 30.0).max(0.0) / 30.0;
    let base = (0.005 + 0.0025 * late).min(OBSTETRIC_UNTREATED);
    if at_centre {
        base
    } else {
        (base * 1.5).min(OBSTETRIC_UNTREATED)
    }
}

/// Obstetric emergency mortality with no theatre reached (assumption).
pub const OBSTETRIC_UNTREATED: f64 = 0.05;

/// Critically ill newborn mortality at `t` minutes from the call to
/// neonatal intensive care: 8% within the hour, 1 point more for every 30
/// minutes after, at most 25% (assumptions, in the range of county
/// neonatal transfer reports; the direction, worse outcomes with longer
/// transfers and without intensive care, is that of the neonatal
/// transport literature).
pub fn newborn(t: f64) -> f64 {
    let late = (minutes(t) - 60.0).max(0.0) / 30.0;
    (0.08 + 0.01 * late).min(NEWBORN_UNTREATED)
}

/// Critically ill newborn mortality with no intensive care reached
/// (assumption).
pub const NEWBORN_UNTREATED: f64 = 0.25;
