//! One case: from its first contact through the routing rule to its
//! treatment times and the chance of death the curves give.

use super::curves::{self, StrokeCare};
use super::{Contact, Network};
use tiercare_core::emergency::{
    Case, CentreKind, Decision, Emergency, FirstContact, Rule, Treatment, route,
};

/// What one case came to: the rule that routed it, the minutes from onset
/// to definitive treatment (none without any), whether that was within
/// the condition's window, and the chances the curves give.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaseOutcome {
    pub rule: Option<Rule>,
    pub minutes: Option<f64>,
    pub in_window: bool,
    pub death: f64,
    /// Ischaemic stroke only: the chance of a good outcome.
    pub good: Option<f64>,
}

/// A case as drawn: where, how it first met the system, when.
#[derive(Debug, Clone, Copy)]
pub struct Drawn {
    pub emergency: Emergency,
    pub home: usize,
    pub contact: Contact,
    /// Minutes from onset to reaching for help.
    pub delay: f64,
    /// Minute of the day of onset.
    pub onset_minute: f64,
    /// Strokes: ischaemic, and with a large-vessel occlusion.
    pub ischaemic: bool,
    pub large_vessel: bool,
}

/// The outcome of `case` in `net`, by the routing rule and the curves.
pub fn outcome(net: &Network, case: &Drawn) -> CaseOutcome {
    let home = &net.homes[case.home];
    let door = &net.door;
    // Where the patient is at first contact, when, and how long until they
    // leave it.
    let (place, reached, departure) = match case.contact {
        Contact::VillageClinic => (None, case.delay, door.village_departure),
        Contact::Township => match home.township {
            Some((s, m)) => (Some(s), case.delay + m, door.township_departure),
            None => (None, case.delay, door.village_departure),
        },
        Contact::Ambulance => match home.ambulance {
            Some(m) => (None, case.delay + m, door.ambulance_on_scene),
            None => (None, case.delay, door.village_departure),
        },
        Contact::CountyHospital => match home.hospital {
            Some((s, m)) => (Some(s), case.delay + m, door.hospital_departure),
            None => (None, case.delay, door.village_departure),
        },
    };
    let (latitude, longitude) = match place {
        Some(s) => (net.sites[s].latitude, net.sites[s].longitude),
        None => home.at,
    };
    let from = FirstContact {
        latitude,
        longitude,
        institution: place.map(|s| net.sites[s].institution.clone()),
    };
    let minute = ((case.onset_minute + reached).rem_euclid(1440.0)) as u16 % 1440;
    let routed = Case {
        emergency: case.emergency,
        onset_minutes: reached.max(0.0).min(f64::from(u32::MAX)) as u32,
        large_vessel: case.large_vessel && case.ischaemic,
    };
    let decision = route(
        &routed,
        &from,
        minute,
        &net.sites,
        &net.travel,
        &net.windows,
    );
    let Some(d) = decision else {
        return untreated(case);
    };
    let timing = Timing::of(net, case, &d, &from, reached, departure);
    judged(net, case, &d, timing, minute)
}

/// Minutes from onset: reaching the first contact, the first step's
/// treatment, the second step's.
#[derive(Debug, Clone, Copy)]
struct Timing {
    reached: f64,
    first: f64,
    then: Option<f64>,
}

impl Timing {
    fn of(
        net: &Network,
        case: &Drawn,
        d: &Decision,
        from: &FirstContact,
        reached: f64,
        departure: f64,
    ) -> Timing {
        let door = &net.door;
        let w = &net.windows;
        let stays = from.institution.as_ref() == Some(&d.first.institution);
        let walked_in = stays && case.contact == Contact::CountyHospital;
        let at_door = |t: Treatment, transferred: bool| match t {
            Treatment::Pci if transferred => f64::from(w.pci_door_to_wire),
            Treatment::Pci => door.pci_walk_in,
            Treatment::Thrombolysis if case.emergency == Emergency::Stroke => {
                f64::from(w.stroke_door_to_needle)
            }
            Treatment::Thrombolysis => door.stemi_lysis,
            Treatment::Thrombectomy => door.thrombectomy,
            Treatment::StrokeUnit => door.stroke_unit,
            Treatment::TraumaSurgery => door.trauma_surgery,
            Treatment::Caesarean => door.caesarean,
            Treatment::NeonatalIntensiveCare => door.nicu,
            Treatment::Stabilise => door.stabilise,
        };
        let first = if stays {
            reached + at_door(d.first.treatment, !walked_in)
        } else {
            reached
                + departure
                + f64::from(d.first.travel_minutes)
                + at_door(d.first.treatment, true)
        };
        let then = d
            .then
            .as_ref()
            .map(|s| first + f64::from(s.travel_minutes) + at_door(s.treatment, true));
        Timing {
            reached,
            first,
            then,
        }
    }
}

fn untreated(case: &Drawn) -> CaseOutcome {
    let (death, good) = match case.emergency {
        Emergency::Stemi => (curves::STEMI_UNTREATED, None),
        Emergency::Stroke => (
            curves::stroke_mortality(StrokeCare::None, case.large_vessel && case.ischaemic),
            case.ischaemic.then_some(curves::STROKE_GOOD_UNTREATED),
        ),
        Emergency::MajorTrauma => (curves::TRAUMA_UNTREATED, None),
        Emergency::Obstetric => (curves::OBSTETRIC_UNTREATED, None),
        Emergency::Newborn => (curves::NEWBORN_UNTREATED, None),
    };
    CaseOutcome {
        rule: None,
        minutes: None,
        in_window: false,
        death,
        good,
    }
}

fn judged(net: &Network, case: &Drawn, d: &Decision, t: Timing, minute: u16) -> CaseOutcome {
    let w = &net.windows;
    let from_contact = |at: f64| at - t.reached;
    let (death, minutes, in_window, good) = match d.rule {
        Rule::DirectPci | Rule::PciOutOfWindow => (
            curves::stemi_pci(t.first),
            Some(t.first),
            from_contact(t.first) <= f64::from(w.pci_first_contact_to_wire),
            None,
        ),
        Rule::LysisThenPci => {
            let death = match t.then {
                Some(wire) => curves::stemi_pharmaco_invasive(t.first, wire),
                None => curves::stemi_lysis(t.first),
            };
            let ok = from_contact(t.first) <= f64::from(w.pci_first_contact_to_wire);
            (death, Some(t.first), ok, None)
        }
        Rule::Thrombectomy | Rule::StrokeLysis | Rule::StrokeUnit => {
            return stroke(net, case, d.rule, t.first);
        }
        Rule::TraumaCentre => (
            curves::trauma(t.first, true),
            Some(t.first),
            from_contact(t.first) <= f64::from(w.trauma_golden_hour),
            None,
        ),
        Rule::StabiliseThenTrauma => match t.then {
            Some(at) => (
                curves::trauma(at, true),
                Some(at),
                from_contact(at) <= f64::from(w.trauma_golden_hour),
                None,
            ),
            None => (curves::trauma(t.first, false), Some(t.first), false, None),
        },
        Rule::MaternalCentre | Rule::NearestTheatre => {
            let centre = net
                .sites
                .iter()
                .find(|s| s.institution == d.first.institution)
                .is_some_and(|s| s.centre_open(CentreKind::Maternal, minute));
            (
                curves::obstetric(t.first, centre),
                Some(t.first),
                from_contact(t.first) <= f64::from(w.obstetric),
                None,
            )
        }
        Rule::NeonatalCentre => (
            curves::newborn(t.first),
            Some(t.first),
            from_contact(t.first) <= f64::from(w.neonatal),
            None,
        ),
        Rule::StabiliseThenNeonatal => match t.then {
            Some(at) => (
                curves::newborn(at),
                Some(at),
                from_contact(at) <= f64::from(w.neonatal),
                None,
            ),
            None => (curves::NEWBORN_UNTREATED, None, false, None),
        },
    };
    CaseOutcome {
        rule: Some(d.rule),
        minutes,
        in_window,
        death,
        good,
    }
}

/// A stroke at a stroke centre: reperfusion only for an ischaemic stroke
/// (the centre's scan tells), within its window from onset.
fn stroke(net: &Network, case: &Drawn, rule: Rule, at: f64) -> CaseOutcome {
    let w = &net.windows;
    let lvo = case.ischaemic && case.large_vessel;
    let (care, good, in_window) = match rule {
        Rule::Thrombectomy if lvo => (
            StrokeCare::Thrombectomy,
            Some(curves::stroke_good_outcome_after_lysis(at)),
            at <= f64::from(w.stroke_thrombectomy_from_onset),
        ),
        Rule::StrokeLysis | Rule::Thrombectomy if case.ischaemic => (
            StrokeCare::Centre,
            Some(curves::stroke_good_outcome_after_lysis(at)),
            at <= f64::from(w.stroke_thrombolysis_from_onset),
        ),
        _ => (
            StrokeCare::Centre,
            case.ischaemic.then_some(curves::STROKE_GOOD_UNTREATED),
            false,
        ),
    };
    CaseOutcome {
        rule: Some(rule),
        minutes: Some(at),
        in_window,
        death: curves::stroke_mortality(care, lvo),
        good,
    }
}
