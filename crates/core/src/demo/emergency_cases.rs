//! A demo year of emergency cases for the demo county: what its centres'
//! accreditation measures are computed over before the county has a real
//! year of its own. A pure generator: the same county, windows, travel
//! times, start and seed always give the same cases (ids `emg-{seed
//! tag}-{n}`), and nothing reads the clock.
//!
//! # What a year holds (assumptions)
//!
//! DOMAIN.md has no incidence figures, so these are documented
//! assumptions of the order of published Chinese figures, per 100,000
//! people a year, over the region's population (867,000 for ZX):
//!
//! | condition | per 100,000 | ZX, a year |
//! |---|---|---|
//! | STEMI | 60 | about 520 |
//! | acute stroke | 250 | about 2,170 |
//! | major trauma | 100 | about 870 |
//! | obstetric emergency | 12 (about 1.5% of births at 8 births per 1,000 people) | about 100 |
//! | critically ill newborn | 10 (about 1.2% of births) | about 90 |
//!
//! Each day's count of each condition is a Poisson draw, so a year lands
//! within a few standard deviations of these (the tests check ±5).
//!
//! # Each case
//!
//! - **The patient** is a demo resident of a fitting age and sex (STEMI 35
//!   and over, stroke 40 and over, trauma 5 and over, obstetric a woman of
//!   18 to 45, a newborn a resident under one, else under five); the demo
//!   loads a sample of the county, so one resident stands for many people
//!   and may have more than one emergency in the year. A condition with
//!   no fitting resident yields no case.
//! - **The first contact** ([`ContactPoint`]) is drawn per condition, most
//!   at a hospital or by ambulance (STEMI, stroke, trauma: hospital 40%,
//!   ambulance 35%, township 15%, village clinic 10%; obstetric and
//!   newborn: hospital 55%, township 25%, ambulance 10%, village 10%), at
//!   the resident's own township (by district), one of its village
//!   clinics, the roadside near it, or a county hospital (the nearest
//!   three times in four). The hour is uniform over the day.
//! - **The destination** is the real triage rule ([`route`]) over the
//!   county's registered centres ([`sites`]), at the local minute of the
//!   decision; a stroke's onset is 30 minutes to 10 hours before, and 30%
//!   are suspected large-vessel occlusions. A case the rule cannot place
//!   yields no case.
//! - **The clock** is drawn from triangular delays (minimum, most likely,
//!   maximum, in minutes): the ECG of a STEMI 2-5-15 after first contact
//!   at a hospital or ambulance, 4-10-30 at a township or village clinic
//!   (so some miss the 10 minutes; 3% have no ECG time recorded); the
//!   decision 2-6-15 after; an ambulance leaves 3-10-30 after the decision
//!   (3-5-10 for a roadside ambulance); travel is the rule's minutes times
//!   0.9 to 1.3; the door of a walk-in is its first contact. The team
//!   acknowledges 90% of alerts (1-3-8 minutes); with the alert
//!   acknowledged 80% go straight to the team, without it 20%, walk-ins
//!   35%. Door to treatment: balloon 35-65-150 straight to the laboratory,
//!   55-90-180 through the emergency department (some miss 90); STEMI
//!   lysis 10-25-60; stroke needle 20-45-110 (some miss 60; 10% are found
//!   ineligible and get none); thrombectomy 60-100-180; stroke unit
//!   20-45-120; trauma surgery 20-50-150; caesarean 15-30-90; neonatal
//!   intensive care 10-20-60; stabilising 10-25-60.
//! - **Transfers out**: a bridged case (the rule's second step) is sent
//!   on after its treatment (5-20-60 minutes after stabilising, 15-45-150
//!   after a STEMI's lysis), and so are some the first destination finds
//!   beyond it, to the first place its centre's transfer agreement names:
//!   15% of strokes thrombolysed where there is no thrombectomy (a
//!   large-vessel occlusion seen at imaging: drip and ship, 10-30-90 after
//!   the needle), 10% of trauma, 5% of obstetric emergencies and newborns
//!   (stabilised 5-15-30 after the door instead of treated, sent 5-20-60
//!   later). Some leave after the window.
//! - **The outcome at 30 days** is drawn from the minutes from first
//!   contact to treatment, by simple documented probabilities (the
//!   simulator's dose-response curves are not reachable from core):
//!   STEMI 4% plus 1.5 points an hour beyond 2 hours; stroke 6% (treated
//!   by needle or thrombectomy) or 10%, plus 1 point an hour beyond 3
//!   hours from onset; trauma 8% plus 4 points an hour beyond 1 hour;
//!   obstetric 0.5% plus 0.5 points an hour beyond 1 hour; newborn 5% plus
//!   2 points an hour beyond 2 hours; a case sent on 2 points more; an
//!   untreated case twice its condition's base; at most 60%. 2% are lost
//!   to follow-up (no outcome).

use super::{DemoCounty, REFERENCE_DATE, Rng};
use crate::emergency::{
    Alert, CaseClock, CentreKind, ContactPoint, Emergency, EmergencyCase, EmergencyCentre,
    FirstContact, Outcome, Site, TransferOut, TravelTimes, Treatment, Windows, route, sites,
};
use crate::network::{Gender, Institution, InstitutionKind, PractitionerRole};
use crate::resident::Resident;
use crate::{EmergencyCaseId, InstitutionId, Level, PractitionerId, Record};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time};

/// Cases a year per 100,000 people, by condition (see the module
/// documentation).
pub const INCIDENCE_PER_100K: [(Emergency, f64); 5] = [
    (Emergency::Stemi, 60.0),
    (Emergency::Stroke, 250.0),
    (Emergency::MajorTrauma, 100.0),
    (Emergency::Obstetric, 12.0),
    (Emergency::Newborn, 10.0),
];

/// China Standard Time, the county's clock.
const LOCAL: time::UtcOffset = crate::CHINA_TIME;

/// The registry the generator reads out of the demo county.
struct County<'a> {
    institutions: Vec<&'a Institution>,
    centres: Vec<EmergencyCentre>,
    sites: Vec<Site>,
    roles: Vec<&'a PractitionerRole>,
    residents: Vec<&'a Resident>,
}

impl<'a> County<'a> {
    fn of(county: &'a DemoCounty) -> County<'a> {
        let mut institutions = Vec::new();
        let mut centres: Vec<EmergencyCentre> = Vec::new();
        let mut roles = Vec::new();
        let mut residents = Vec::new();
        for r in &county.records {
            match r {
                Record::Institution(i) => institutions.push(i),
                Record::Centre(c) => centres.push(c.clone()),
                Record::Role(r) if r.active => roles.push(r),
                Record::Resident(r) => residents.push(r),
                _ => {}
            }
        }
        let owned: Vec<Institution> = institutions.iter().map(|i| (*i).clone()).collect();
        County {
            sites: sites(&owned, &centres),
            centres,
            institutions,
            roles,
            residents,
        }
    }

    /// Where the destination's centre for `e` sends patients beyond it,
    /// by agreement (the first it names).
    fn agreed_transfer(&self, at: &InstitutionId, e: Emergency) -> Option<InstitutionId> {
        let kind = match e {
            Emergency::Stemi => CentreKind::ChestPain,
            Emergency::Stroke => CentreKind::Stroke,
            Emergency::MajorTrauma => CentreKind::Trauma,
            Emergency::Obstetric => CentreKind::Maternal,
            Emergency::Newborn => CentreKind::Neonatal,
        };
        self.centres
            .iter()
            .find(|c| c.active && &c.institution == at && c.centre.kind == kind)
            .and_then(|c| c.transfers_to.first().cloned())
    }

    fn place(i: &Institution) -> Option<(f64, f64)> {
        i.place.as_ref().map(|p| (p.latitude, p.longitude))
    }

    /// The resident's township or community health centre, by district.
    fn home(&self, r: &Resident) -> Option<&'a Institution> {
        let district = r.district.as_deref()?;
        self.institutions.iter().copied().find(|i| {
            i.level == Level::Primary
                && i.part_of.is_none()
                && i.place.as_ref().is_some_and(|p| p.district == district)
        })
    }

    /// The county's own hospitals (secondary and above, of the region).
    fn hospitals(&self, region: &crate::RegionId) -> Vec<&'a Institution> {
        self.institutions
            .iter()
            .copied()
            .filter(|i| i.level >= Level::Secondary && &i.region == region && i.active)
            .filter(|i| i.place.is_some())
            .collect()
    }
}

/// Uniform in [lo, hi].
fn between(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    lo + rng.below((hi - lo + 1).max(1) as u64) as i64
}

/// A triangular draw in minutes: at least `lo`, most likely `mode`, at
/// most `hi`.
fn delay(rng: &mut Rng, lo: f64, mode: f64, hi: f64) -> i64 {
    let u = rng.unit();
    let cut = (mode - lo) / (hi - lo);
    let x = if u < cut {
        lo + (u * (hi - lo) * (mode - lo)).sqrt()
    } else {
        hi - ((1.0 - u) * (hi - lo) * (hi - mode)).sqrt()
    };
    x.round() as i64
}

/// A Poisson draw (Knuth's method; fine for the few a day drawn here).
fn poisson(rng: &mut Rng, mean: f64) -> u64 {
    let limit = (-mean).exp();
    let mut k = 0;
    let mut p = rng.unit();
    while p > limit && k < 1000 {
        k += 1;
        p *= rng.unit();
    }
    k
}

/// Whether a resident fits a condition (see the module documentation).
fn fits(e: Emergency, r: &Resident) -> bool {
    let age = r.age_on(REFERENCE_DATE);
    match e {
        Emergency::Stemi => age >= 35,
        Emergency::Stroke => age >= 40,
        Emergency::MajorTrauma => age >= 5,
        Emergency::Obstetric => r.gender == Gender::Female && (18..=45).contains(&age),
        Emergency::Newborn => age < 1,
    }
}

fn contact_point(rng: &mut Rng, e: Emergency) -> ContactPoint {
    let shares: [f64; 3] = match e {
        Emergency::Obstetric | Emergency::Newborn => [0.55, 0.10, 0.25],
        _ => [0.40, 0.35, 0.15],
    };
    let u = rng.unit();
    if u < shares[0] {
        ContactPoint::Hospital
    } else if u < shares[0] + shares[1] {
        ContactPoint::Ambulance
    } else if u < shares[0] + shares[1] + shares[2] {
        ContactPoint::Township
    } else {
        ContactPoint::VillageClinic
    }
}

/// The 30-day risk of death (see the module documentation).
fn risk(e: Emergency, treated: Option<Treatment>, minutes: i64, onset: i64, bridged: bool) -> f64 {
    let hours_beyond = |limit: f64, m: i64| ((m as f64 / 60.0) - limit).max(0.0);
    let base = match e {
        Emergency::Stemi => 0.04,
        Emergency::Stroke => match treated {
            Some(Treatment::Thrombolysis | Treatment::Thrombectomy) => 0.06,
            _ => 0.10,
        },
        Emergency::MajorTrauma => 0.08,
        Emergency::Obstetric => 0.005,
        Emergency::Newborn => 0.05,
    };
    let slope = match e {
        Emergency::Stemi => 0.015 * hours_beyond(2.0, minutes),
        Emergency::Stroke => 0.01 * hours_beyond(3.0, onset + minutes),
        Emergency::MajorTrauma => 0.04 * hours_beyond(1.0, minutes),
        Emergency::Obstetric => 0.005 * hours_beyond(1.0, minutes),
        Emergency::Newborn => 0.02 * hours_beyond(2.0, minutes),
    };
    let p = match treated {
        None => 2.0 * base,
        Some(_) => base + slope + if bridged { 0.02 } else { 0.0 },
    };
    p.min(0.6)
}

/// Door to treatment, by what is done there and how the patient came in.
fn door_to_treatment(rng: &mut Rng, e: Emergency, t: Treatment, direct: bool) -> i64 {
    match (t, direct) {
        (Treatment::Pci, true) => delay(rng, 35.0, 65.0, 150.0),
        (Treatment::Pci, false) => delay(rng, 55.0, 90.0, 180.0),
        (Treatment::Thrombolysis, _) if e == Emergency::Stemi => delay(rng, 10.0, 25.0, 60.0),
        (Treatment::Thrombolysis, _) => delay(rng, 20.0, 45.0, 110.0),
        (Treatment::Thrombectomy, _) => delay(rng, 60.0, 100.0, 180.0),
        (Treatment::StrokeUnit, _) => delay(rng, 20.0, 45.0, 120.0),
        (Treatment::TraumaSurgery, _) => delay(rng, 20.0, 50.0, 150.0),
        (Treatment::Caesarean, _) => delay(rng, 15.0, 30.0, 90.0),
        (Treatment::NeonatalIntensiveCare, _) => delay(rng, 10.0, 20.0, 60.0),
        (Treatment::Stabilise, _) => delay(rng, 10.0, 25.0, 60.0),
    }
}

/// A year of cases from `start` (365 days) for the demo county, routed
/// by the county's registered centres with `windows` and `travel` (the
/// policy's `[emergency]`), the same for the same inputs. See the module
/// documentation for every assumption.
pub fn year_of_cases(
    county: &DemoCounty,
    windows: &Windows,
    travel: &TravelTimes,
    start: Date,
    seed: u64,
) -> Vec<EmergencyCase> {
    let c = County::of(county);
    let hospitals = c.hospitals(&county.region.id);
    let eligible: Vec<(Emergency, Vec<&Resident>)> = INCIDENCE_PER_100K
        .iter()
        .map(|&(e, _)| {
            let mut fit: Vec<&Resident> =
                c.residents.iter().copied().filter(|r| fits(e, r)).collect();
            if fit.is_empty() && e == Emergency::Newborn {
                fit = c
                    .residents
                    .iter()
                    .copied()
                    .filter(|r| r.age_on(REFERENCE_DATE) < 5)
                    .collect();
            }
            (e, fit)
        })
        .collect();
    let mut rng = Rng::stream(seed, 23_000_000);
    let tag = Rng::stream(seed, 23).next_u64() % 100_000;
    let population = county.region.population as f64;
    let mut out = Vec::new();
    for day in 0..365 {
        let date = start + Duration::days(day);
        for (n, &(e, rate)) in INCIDENCE_PER_100K.iter().enumerate() {
            let count = poisson(&mut rng, rate * population / 100_000.0 / 365.0);
            for _ in 0..count {
                let patients = &eligible[n].1;
                let Some(patient) = pick(&mut rng, patients) else {
                    continue;
                };
                let number = out.len() + 1;
                let drawn = Draw {
                    emergency: e,
                    date,
                    patient,
                    id: format!("emg-{tag:05}-{number:05}"),
                };
                if let Some(case) = one_case(&mut rng, &c, &hospitals, drawn, windows, travel) {
                    out.push(case);
                }
            }
        }
    }
    out
}

fn pick<'a, T>(rng: &mut Rng, list: &[&'a T]) -> Option<&'a T> {
    list.get(rng.below(list.len() as u64) as usize).copied()
}

/// What is drawn before the case is routed.
struct Draw<'a> {
    emergency: Emergency,
    date: Date,
    patient: &'a Resident,
    id: String,
}

/// Where the first contact is: the place, the institution there, and
/// the contact point.
fn first_contact(
    rng: &mut Rng,
    c: &County<'_>,
    hospitals: &[&Institution],
    d: &Draw<'_>,
) -> Option<(FirstContact, ContactPoint)> {
    let home = c.home(d.patient)?;
    let home_at = County::place(home)?;
    let contact = contact_point(rng, d.emergency);
    let (at, institution) = match contact {
        ContactPoint::Township => (home_at, Some(home)),
        ContactPoint::VillageClinic => {
            let clinics: Vec<&Institution> = c
                .institutions
                .iter()
                .copied()
                .filter(|i| i.part_of.as_ref() == Some(&home.id) && i.place.is_some())
                .filter(|i| {
                    matches!(
                        i.kind,
                        InstitutionKind::VillageClinic | InstitutionKind::CommunityStation
                    )
                })
                .collect();
            let clinic = pick(rng, &clinics).unwrap_or(home);
            (County::place(clinic)?, Some(clinic))
        }
        ContactPoint::Ambulance => {
            let jitter = |rng: &mut Rng| (rng.unit() - 0.5) * 0.08;
            ((home_at.0 + jitter(rng), home_at.1 + jitter(rng)), None)
        }
        ContactPoint::Hospital => {
            let nearest = hospitals.iter().copied().min_by_key(|h| {
                County::place(h)
                    .map_or(u32::MAX, |p| crate::emergency::estimate_minutes(home_at, p))
            });
            let h = if rng.chance(0.75) {
                nearest
            } else {
                pick(rng, hospitals)
            }?;
            (County::place(h)?, Some(h))
        }
    };
    Some((
        FirstContact {
            latitude: at.0,
            longitude: at.1,
            institution: institution.map(|i| i.id.clone()),
        },
        contact,
    ))
}

fn one_case(
    rng: &mut Rng,
    c: &County<'_>,
    hospitals: &[&Institution],
    d: Draw<'_>,
    w: &Windows,
    travel: &TravelTimes,
) -> Option<EmergencyCase> {
    let e = d.emergency;
    let (from, contact) = first_contact(rng, c, hospitals, &d)?;
    let minute_of_day = between(rng, 0, 24 * 60 - 1);
    let local = PrimitiveDateTime::new(d.date, Time::MIDNIGHT).assume_offset(LOCAL);
    let first: OffsetDateTime = local + Duration::minutes(minute_of_day);
    let equipped = matches!(contact, ContactPoint::Hospital | ContactPoint::Ambulance);
    let ecg = (e == Emergency::Stemi).then(|| {
        if equipped {
            delay(rng, 2.0, 5.0, 15.0)
        } else {
            delay(rng, 4.0, 10.0, 30.0)
        }
    });
    let decided = ecg.unwrap_or(0) + delay(rng, 2.0, 6.0, 15.0);
    let onset = between(rng, 30, 600);
    let large_vessel = rng.chance(0.3);
    let decision_at = first + Duration::minutes(decided);
    let clock = decision_at.to_offset(LOCAL).time();
    let minute = u16::from(clock.hour()) * 60 + u16::from(clock.minute());
    let case = crate::emergency::Case {
        emergency: e,
        onset_minutes: u32::try_from(onset + decided).ok()?,
        large_vessel,
    };
    let decision = route(&case, &from, minute, &c.sites, travel, w)?;
    let here = from.institution.as_ref() == Some(&decision.first.institution);
    // Departure and door.
    let (departure, door) = if here {
        (None, first)
    } else {
        let leave = if contact == ContactPoint::Ambulance {
            delay(rng, 3.0, 5.0, 10.0)
        } else {
            delay(rng, 3.0, 10.0, 30.0)
        };
        let departure = decision_at + Duration::minutes(leave);
        let factor = 0.9 + 0.4 * rng.unit();
        let road = (f64::from(decision.first.travel_minutes) * factor).round() as i64;
        (Some(departure), departure + Duration::minutes(road))
    };
    let door = door.max(first);
    let acknowledged = rng.chance(0.9);
    let sent = decision_at;
    let by: Option<PractitionerId> = {
        let team: Vec<&PractitionerRole> = c
            .roles
            .iter()
            .copied()
            .filter(|r| r.institution == decision.first.institution)
            .collect();
        pick(rng, &team).map(|r| r.practitioner.clone())
    };
    let alert = match by {
        Some(by) if acknowledged => Alert::Acknowledged {
            sent,
            by,
            at: sent + Duration::minutes(delay(rng, 1.0, 3.0, 8.0)),
        },
        _ => Alert::Sent { at: sent },
    };
    let direct_share = match (&alert, here) {
        (_, true) => 0.35,
        (Alert::Acknowledged { .. }, _) => 0.8,
        _ => 0.2,
    };
    let direct = rng.chance(direct_share);
    let planned = decision.first.treatment;
    let ineligible =
        e == Emergency::Stroke && planned == Treatment::Thrombolysis && rng.chance(0.1);
    let unplanned = match (e, planned) {
        (Emergency::Stroke, Treatment::Thrombolysis) if !ineligible => 0.15,
        (Emergency::MajorTrauma, _) => 0.1,
        (Emergency::Obstetric | Emergency::Newborn, _) => 0.05,
        _ => 0.0,
    };
    let onward = match &decision.then {
        Some(next) => Some(next.institution.clone()),
        None if rng.chance(unplanned) => c.agreed_transfer(&decision.first.institution, e),
        None => None,
    };
    // A patient found beyond the destination (but a stroke, lysed before
    // it leaves) is stabilised rather than treated there.
    let given = match &onward {
        Some(_) if decision.then.is_none() && e != Emergency::Stroke => Treatment::Stabilise,
        _ => planned,
    };
    let treatment = (!ineligible).then(|| {
        let minutes = match given {
            Treatment::Stabilise if given != planned => delay(rng, 5.0, 15.0, 30.0),
            _ => door_to_treatment(rng, e, given, direct),
        };
        (given, door + Duration::minutes(minutes))
    });
    let transfer_out = match (onward, treatment) {
        (Some(to), Some((t, at))) => {
            let after = match t {
                Treatment::Stabilise => delay(rng, 5.0, 20.0, 60.0),
                Treatment::Thrombolysis if e == Emergency::Stroke => delay(rng, 10.0, 30.0, 90.0),
                _ => delay(rng, 15.0, 45.0, 150.0),
            };
            Some(TransferOut {
                to,
                at: at + Duration::minutes(after),
            })
        }
        _ => None,
    };
    let to_treatment = treatment.map_or(0, |(_, t)| (t - first).whole_minutes());
    let p = risk(
        e,
        treatment.map(|(t, _)| t),
        to_treatment,
        onset,
        transfer_out.is_some(),
    );
    let died = rng.chance(p);
    let lost = rng.chance(0.02);
    let no_ecg = rng.chance(0.03);
    Some(EmergencyCase {
        id: EmergencyCaseId::new(d.id).ok()?,
        patient: d.patient.id.clone(),
        emergency: e,
        contact,
        from: from.institution,
        decision,
        alert,
        clock: CaseClock {
            first_contact: first,
            ecg: ecg
                .filter(|_| !no_ecg)
                .map(|m| first + Duration::minutes(m)),
            decision: decision_at,
            departure,
            door: Some(door),
            treatment: treatment.map(|(_, t)| t),
        },
        treated_with: treatment.map(|(t, _)| t),
        bypassed_emergency_department: Some(direct),
        transfer_out,
        outcome: (!lost).then_some(if died { Outcome::Died } else { Outcome::Alive }),
        ecg_reading: None,
        opened_by: None,
        onset_minutes: u32::try_from(onset).ok(),
    })
}

#[cfg(test)]
mod tests;
