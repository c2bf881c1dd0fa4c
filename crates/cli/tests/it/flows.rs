//! The resource-flow network of the demo county: every kind of flow the
//! history makes is recorded once and read back per alliance, and every
//! flow of every partnership, both ways, equals a recount from the stored
//! records themselves, through the service and `$evaluate-measure`.

use crate::history::fresh;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tiercare::config::Settings;
use tiercare::demo::{self, HistoryOptions};
use tiercare_api::AppState;
use tiercare_core::access::{Actor, UserRole};
use tiercare_core::booking::SessionPlan;
use tiercare_core::booking::{BedKind, Encounter, SlotStatus};
use tiercare_core::demo::{DemoCounty, DemoUser};
use tiercare_core::flows::{FlowKind, FlowNetwork, PartnershipClass};
use tiercare_core::hub::ReadingState;
use tiercare_core::indicators::Day;
use tiercare_core::network::{PractitionerRole, PractitionerRoleKind};
use tiercare_core::outreach::{Mentorship, Programme, SessionStatus};
use tiercare_core::referral::{Attachments, Command, NewReferral, Priority, Setting};
use tiercare_core::referral::{Booking, Referral, ReferralState};
use tiercare_core::{Level, Record, ReferralId, ScheduleId};
use tiercare_service::days::day_of;
use tiercare_service::flows::{Flows, flows};
use tiercare_service::referrals::Referrals;
use tiercare_store::HistoryQuery;
use time::{Date, OffsetDateTime, UtcOffset};
use tokio::sync::oneshot;

#[tokio::test]
async fn the_demo_history_gives_each_alliance_flows_both_ways() {
    let county = DemoCounty::generate(400, 2026);
    let (_dir, state) = fresh(&county).await;
    let options = HistoryOptions {
        days: 60,
        seed: 7,
        county: false,
    };
    demo::load_with_history(&state, &county, options)
        .await
        .expect("load with history");
    let admin = Actor {
        username: "admin".into(),
        role: UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    };
    let today = state.ctx.clock.today();
    let first = today - time::Duration::days(60);
    let region = tiercare_service::flows::flows(&state.ctx, &admin, None, first, today)
        .await
        .expect("region flows");
    let totals = region.network.totals();
    for kind in [
        FlowKind::PatientsUp,
        FlowKind::PatientsDown,
        FlowKind::Readings,
        FlowKind::SpecialistHours,
    ] {
        assert!(totals[kind.index()] > 0, "{kind}: {totals:?}");
    }
    // What the aggregates give is what the raw facts say, with the
    // schedules of multi-site practice (read from the registry).
    let mut raw = [0u64; tiercare_core::flows::KINDS];
    let net = tiercare_service::indicators::network(&state.ctx)
        .await
        .expect("network");
    let practice = tiercare_service::flows::practice(&state.ctx, &net, first, today)
        .await
        .expect("practice");
    assert!(
        !practice.is_empty(),
        "the demo schedules multi-site practice"
    );
    for (_, _, f) in practice {
        raw[f.kind.index()] += f.amount;
    }
    for f in state.ctx.store.indicator_facts().await.expect("facts") {
        if let tiercare_core::indicators::Fact::Flow(f) = f
            && f.day >= tiercare_service::days::day_of(first)
        {
            raw[f.kind.index()] += f.amount;
        }
    }
    assert_eq!(raw, totals);
    assert!(!region.partnerships.is_empty());
    assert!(region.csv().lines().count() > 1);
}

/// A flow as the records tell it: giver id, receiver id, kind.
type Key = (String, String, FlowKind);

/// What the stored records themselves say was given, by day (see the
/// table in `tiercare_core::flows`); from the records and their history,
/// never from the indicator facts.
struct Recount {
    flows: BTreeMap<Key, BTreeMap<Day, u64>>,
}

impl Recount {
    fn add(&mut self, from: &str, to: &str, kind: FlowKind, on: OffsetDateTime, amount: u64) {
        self.add_day(from, to, kind, on.to_offset(UtcOffset::UTC).date(), amount);
    }

    fn add_day(&mut self, from: &str, to: &str, kind: FlowKind, on: Date, amount: u64) {
        if amount == 0 || from == to {
            return;
        }
        *self
            .flows
            .entry((from.to_string(), to.to_string(), kind))
            .or_default()
            .entry(day_of(on))
            .or_default() += amount;
    }

    /// The totals of `first..=last` between institutions `keep` accepts.
    fn totals(&self, first: Day, last: Day, keep: impl Fn(&str) -> bool) -> BTreeMap<Key, u64> {
        self.flows
            .iter()
            .filter(|((from, to, _), _)| keep(from) && keep(to))
            .map(|(k, days)| (k.clone(), days.range(first..=last).map(|(_, a)| a).sum()))
            .filter(|(_, a)| *a > 0)
            .collect()
    }
}

/// Every version of every record of a type, by id, oldest first.
async fn versions(state: &AppState, resource_type: &str) -> BTreeMap<String, Vec<Record>> {
    let (all, total) = state
        .ctx
        .store
        .history(&HistoryQuery {
            resource_type: resource_type.into(),
            count: u32::MAX,
            ..HistoryQuery::default()
        })
        .await
        .expect("history");
    assert_eq!(all.len() as u64, total);
    let mut by_id: BTreeMap<String, Vec<(u32, Record)>> = BTreeMap::new();
    for s in all {
        let id = record_id(&s.record);
        by_id.entry(id).or_default().push((s.version, s.record));
    }
    by_id
        .into_iter()
        .map(|(id, mut v)| {
            v.sort_by_key(|(version, _)| *version);
            (id, v.into_iter().map(|(_, r)| r).collect())
        })
        .collect()
}

fn record_id(r: &Record) -> String {
    match r {
        Record::Referral(x) => x.id.to_string(),
        Record::Consult(x) => x.id.to_string(),
        Record::ReadingOrder(x) => x.id.to_string(),
        Record::Slot(x) => x.id.to_string(),
        Record::OutreachSession(x) => x.id.to_string(),
        Record::Programme(x) => x.id.to_string(),
        Record::Hub(x) => x.id.to_string(),
        Record::Centre(x) => x.id.to_string(),
        Record::Mentorship(x) => x.id.to_string(),
        Record::Team(x) => x.id.to_string(),
        Record::MentorshipActivity(x) => x.id.to_string(),
        Record::FollowUp(x) => x.id.to_string(),
        Record::Role(x) => x.id.to_string(),
        Record::CarePlan(x) => x.id.to_string(),
        Record::PanelEnrolment(x) => x.id.to_string(),
        Record::Claim(x) => x.id.to_string(),
        Record::Encounter(x) => x.id.to_string(),
        other => panic!("no id read for {}", other.resource_type()),
    }
}

/// The current version of every record of a type.
async fn current(state: &AppState, resource_type: &str) -> Vec<Record> {
    versions(state, resource_type)
        .await
        .into_values()
        .filter_map(|mut v| v.pop())
        .collect()
}

/// Recounts every kind of flow from the stored records; the schedules of
/// multi-site practice (which hold from their start to today) from `from`.
async fn recount(state: &AppState, from: Date) -> Recount {
    let mut out = Recount {
        flows: BTreeMap::new(),
    };
    // Referrals: each arrival, and each booking into reserved capacity,
    // read off the referral's versions (a rebooking after a no-show is
    // another booking). A slot was reserved if its version that records
    // the booking's appointment says so.
    let mut slot_reserved: HashMap<String, bool> = HashMap::new();
    for v in versions(state, "Slot").await.into_values().flatten() {
        if let Record::Slot(s) = v
            && let SlotStatus::Booked { appointment } = &s.status
        {
            slot_reserved.insert(appointment.to_string(), s.reserved);
        }
    }
    let mut referrals: HashMap<String, Referral> = HashMap::new();
    let mut bookings = 0;
    for history in versions(state, "ServiceRequest").await.into_values() {
        let mut before: Option<&ReferralState> = None;
        for v in &history {
            match v {
                Record::Referral(r) => {
                    match &r.state {
                        ReferralState::Arrived { .. }
                            if !matches!(before, Some(ReferralState::Arrived { .. })) =>
                        {
                            let kind = if r.to_level >= r.from_level {
                                FlowKind::PatientsUp
                            } else {
                                FlowKind::PatientsDown
                            };
                            out.add(r.from.as_str(), r.to.as_str(), kind, r.since, 1);
                        }
                        ReferralState::Booked { booking } if !matches!(before, Some(ReferralState::Booked { booking: b }) if b == booking) =>
                        {
                            bookings += 1;
                            let (kind, reserved) = match booking {
                                Booking::Slot { appointment, .. } => (
                                    FlowKind::ReservedSlots,
                                    slot_reserved
                                        .get(appointment.as_str())
                                        .copied()
                                        .unwrap_or_else(|| {
                                            panic!("no slot version holds {appointment}")
                                        }),
                                ),
                                Booking::Bed { bed, .. } => {
                                    (FlowKind::ReservedBeds, *bed == BedKind::Reserved)
                                }
                            };
                            if reserved {
                                out.add(r.to.as_str(), r.from.as_str(), kind, booking.start(), 1);
                            }
                        }
                        _ => {}
                    }
                    before = Some(&r.state);
                    referrals.insert(r.id.to_string(), r.clone());
                }
                // Hub readings: each order reported.
                Record::ReadingOrder(o) => {
                    if let ReadingState::Reported { at, .. } = &o.state
                        && std::ptr::eq(v, history.last().expect("a version"))
                    {
                        out.add(
                            o.hub_institution.as_str(),
                            o.from.as_str(),
                            FlowKind::Readings,
                            *at,
                            1,
                        );
                        // The hub's share of its fee, paid by the member.
                        if let Some(c) = &o.charge {
                            out.add(
                                o.from.as_str(),
                                o.hub_institution.as_str(),
                                FlowKind::Money,
                                *at,
                                u64::try_from(c.hub_share.fen()).unwrap_or(0),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }
    assert!(bookings > 0, "the history books referrals");
    // Outreach sessions held: their minutes, the programme's hospital to
    // its primary institution.
    let programmes: HashMap<String, Programme> = current(state, "HealthcareService")
        .await
        .into_iter()
        .filter_map(|r| match r {
            Record::Programme(p) => Some((p.id.to_string(), p)),
            _ => None,
        })
        .collect();
    for r in current(state, "Schedule").await {
        if let Record::OutreachSession(s) = r
            && matches!(s.status, SessionStatus::Held { .. })
        {
            let p = &programmes[s.programme.as_str()];
            let minutes = u64::try_from((s.end - s.start).whole_minutes()).expect("minutes");
            out.add(
                p.hospital.as_str(),
                p.primary.as_str(),
                FlowKind::SpecialistHours,
                s.start,
                minutes,
            );
        }
    }
    // Mentoring: each doctor at each activity, from the specialist's
    // institution to the doctor's (the active role of each kind, the
    // first by id).
    let mut roles: Vec<PractitionerRole> = current(state, "PractitionerRole")
        .await
        .into_iter()
        .filter_map(|r| match r {
            Record::Role(x) => Some(x),
            _ => None,
        })
        .collect();
    roles.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    // A multi-site practitioner acts for their own institution, the role
    // without days.
    let role_at = |who: &str, kind: PractitionerRoleKind| {
        roles
            .iter()
            .filter(|r| r.practitioner.as_str() == who && r.role == kind && r.active)
            .min_by_key(|r| !r.days.is_empty())
            .map(|r| r.institution.to_string())
    };
    // Multi-site practice: a working day (the policy's minutes) on every
    // scheduled weekday of the role's period up to today, from the
    // practitioner's own institution to the role's.
    let today = tiercare_service::days::local_date(state.ctx.clock.now());
    let day_minutes = state.ctx.policy.flows.practice_day_minutes;
    let mut scheduled = 0;
    for r in roles.iter().filter(|r| r.active && !r.days.is_empty()) {
        let start = r
            .period
            .and_then(|p| p.start)
            .expect("the demo's multi-site roles name when they began");
        let home = roles
            .iter()
            .filter(|h| h.practitioner == r.practitioner && h.active && h.days.is_empty())
            .map(|h| h.institution.to_string())
            .min()
            .expect("a multi-site practitioner has an own institution");
        let mut d = start.max(from);
        while d <= today {
            let weekday = tiercare_core::network::DayOfWeek::of(d);
            if r.days.contains(&weekday) {
                out.add_day(
                    &home,
                    r.institution.as_str(),
                    FlowKind::SpecialistHours,
                    d,
                    day_minutes,
                );
                scheduled += 1;
            }
            d = d.next_day().expect("a next day");
        }
    }
    assert!(scheduled > 0, "the demo schedules multi-site practice");
    let mut mentorships: HashMap<String, Mentorship> = HashMap::new();
    let mut activities = Vec::new();
    let mut follow_ups = 0;
    for r in current(state, "CareTeam").await {
        if let Record::Mentorship(m) = r {
            mentorships.insert(m.id.to_string(), m);
        }
    }
    for r in current(state, "Task").await {
        match r {
            Record::MentorshipActivity(a) => activities.push(a),
            Record::FollowUp(_) => follow_ups += 1,
            _ => {}
        }
    }
    assert!(follow_ups > 0 || !activities.is_empty());
    for a in &activities {
        let m = &mentorships[a.mentorship.as_str()];
        let Some(from) = role_at(m.specialist.as_str(), PractitionerRoleKind::Specialist) else {
            continue;
        };
        for doctor in &a.family_doctors {
            if let Some(to) = role_at(doctor.as_str(), PractitionerRoleKind::FamilyDoctor) {
                out.add_day(&from, &to, FlowKind::Mentoring, a.date, 1);
            }
        }
    }
    // Downward care plans: the prescriptions the receiver stocks.
    for r in current(state, "CarePlan").await {
        if let Record::CarePlan(p) = r {
            let stocked = p.medicines.iter().filter(|m| m.on_receiver_list).count();
            out.add(
                p.from.as_str(),
                p.to.as_str(),
                FlowKind::MedicinesAligned,
                p.created,
                stocked as u64,
            );
        }
    }
    // Claims of visits given on a referral: the fund's share, from the
    // referring institution to the one that gave the care.
    let encounters: HashMap<String, Encounter> = current(state, "Encounter")
        .await
        .into_iter()
        .filter_map(|r| match r {
            Record::Encounter(e) => Some((e.id.to_string(), e)),
            _ => None,
        })
        .collect();
    for r in current(state, "ExplanationOfBenefit").await {
        if let Record::Claim(c) = r
            && let Some(e) = c.encounter()
        {
            let e = &encounters[e.as_str()];
            if let (Some(referral), Some(done)) = (&e.referral, e.finished) {
                let from = &referrals[referral.as_str()].from;
                let fen = u64::try_from(c.adjudication.split.covered.fen()).unwrap_or(0);
                out.add(
                    from.as_str(),
                    e.institution.as_str(),
                    FlowKind::Money,
                    done,
                    fen,
                );
            }
        }
    }
    out
}

/// The flows the service reads from the aggregates, by giver and receiver
/// id and kind.
fn by_key(f: &Flows) -> BTreeMap<Key, u64> {
    let id = |ix| f.node(ix).expect("a node").id.clone();
    let mut out = BTreeMap::new();
    for e in f.network.edges() {
        for &kind in FlowKind::ALL {
            let a = e.total[kind.index()];
            if a > 0 {
                out.insert((id(e.from), id(e.to), kind), a);
            }
        }
    }
    out
}

/// The kinds whose recount and service figures differ, with examples.
fn differences(recount: &BTreeMap<Key, u64>, service: &BTreeMap<Key, u64>) -> Vec<String> {
    let keys: BTreeSet<&Key> = recount.keys().chain(service.keys()).collect();
    keys.into_iter()
        .filter(|k| recount.get(*k) != service.get(*k))
        .take(20)
        .map(|k| {
            format!(
                "{} -> {} {}: records {:?}, flows {:?}",
                k.0,
                k.1,
                k.2,
                recount.get(k),
                service.get(k)
            )
        })
        .collect()
}

/// A running server on `state`, and an administrator's bearer token.
async fn serve(state: &AppState, admin: &DemoUser) -> (String, String, oneshot::Sender<()>) {
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        ..Settings::default()
    };
    let (base, _, tx) = crate::helpers::serve(state, &settings).await;
    let token: Value = reqwest::Client::new()
        .post(format!("{base}/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", admin.username.as_str()),
            ("password", admin.password.as_str()),
        ])
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("a token");
    let token = token["access_token"].as_str().expect("access_token");
    (base, token.to_string(), tx)
}

/// The history's outpatient sessions are too small to keep a slot for
/// referrals (the policy's share of four slots rounds to none), so one
/// more session of a hospital department is opened, weeks after
/// anything the history booked, and an upward referral from primary care
/// is requested, accepted and booked into one of its reserved slots.
async fn book_a_reserved_slot(state: &AppState, admin: &Actor) {
    // The same doctor refers a patient they referred before once more.
    let before = current(state, "ServiceRequest")
        .await
        .into_iter()
        .filter_map(|r| match r {
            Record::Referral(r)
                if r.setting == Setting::Outpatient
                    && r.from_level == Level::Primary
                    && r.to_level > r.from_level =>
            {
                Some(r)
            }
            _ => None,
        })
        .max_by_key(|r| r.requested_at)
        .expect("an upward referral");
    let doctor = Actor {
        username: "flows-doctor".into(),
        role: UserRole::Doctor,
        institution: Some(before.from.clone()),
        practitioner: Some(before.requester.clone()),
        resident: None,
    };
    let new = NewReferral {
        id: ReferralId::new("flows-reserved").expect("an id"),
        patient: before.patient.clone(),
        from: before.from.clone(),
        from_level: before.from_level,
        to: before.to.clone(),
        to_level: before.to_level,
        specialty: before.specialty,
        setting: Setting::Outpatient,
        priority: Priority::Routine,
        condition: before.condition.clone(),
        summary: "Seen again: needs the specialist's review.".into(),
        attachments: Attachments::default(),
    };
    let (r, _) = Referrals::new(&state.ctx, &doctor)
        .request(new)
        .await
        .expect("refer");
    let r = r.value;
    let schedule =
        ScheduleId::new(format!("{}-{}", r.to, r.specialty.code())).expect("a schedule id");
    let day = state.ctx.clock.today() + time::Duration::days(40);
    let plan = SessionPlan {
        schedule: &schedule,
        institution: &r.to,
        specialty: r.specialty,
        start: day.midnight().assume_utc() + time::Duration::hours(9),
        slot_minutes: 20,
        slots: 10,
    };
    Referrals::new(&state.ctx, admin)
        .open_session(&plan)
        .await
        .expect("open a session");
    let slot = plan
        .slots(&state.ctx.policy)
        .into_iter()
        .find(|s| s.reserved)
        .expect("a reserved slot");
    let coordinator = Actor {
        username: "flows-coordinator".into(),
        role: UserRole::Coordinator,
        institution: Some(r.to.clone()),
        practitioner: None,
        resident: None,
    };
    let desk = Referrals::new(&state.ctx, &coordinator);
    desk.act(r.id.as_str(), Command::Accept, None)
        .await
        .expect("accept");
    desk.book_slot(r.id.as_str(), slot.id.as_str(), None)
        .await
        .expect("book the reserved slot");
}

/// The FHIR API as an administrator.
struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .client
            .get(format!("{}/fhir/r4{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("a response");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON"))
    }
}

/// A flow report's strata: `{giver}->{receiver}` to the score, each
/// stratum's components checked against its text.
fn strata(report: &Value) -> BTreeMap<String, f64> {
    let stratifier = &report["group"][0]["stratifier"][0];
    assert_eq!(stratifier["code"][0]["text"], "partnership");
    let mut out = BTreeMap::new();
    for s in stratifier["stratum"].as_array().into_iter().flatten() {
        let text = s["value"]["text"].as_str().expect("stratum text");
        let (giver, receiver) = text.split_once("->").expect("giver->receiver");
        let component = |code: &str| {
            s["component"]
                .as_array()
                .expect("components")
                .iter()
                .find(|c| c["code"]["text"] == code)
                .map(|c| c["value"]["coding"][0]["code"].clone())
        };
        assert_eq!(component("giver"), Some(json!(giver)), "{s}");
        assert_eq!(component("receiver"), Some(json!(receiver)), "{s}");
        let score = s["measureScore"]["value"].as_f64().expect("a score");
        assert!(
            out.insert(text.to_string(), score).is_none(),
            "{text} twice"
        );
    }
    out
}

/// A kind's amount as its measure scores it: yuan for money.
fn score_of(kind: FlowKind, amount: u64) -> f64 {
    match kind {
        FlowKind::Money => amount as f64 / 100.0,
        _ => amount as f64,
    }
}

#[tokio::test]
async fn every_flow_equals_a_recount_from_the_records_for_every_partnership_both_ways() {
    let county = DemoCounty::generate(1_000, 2026);
    let (_dir, state) = fresh(&county).await;
    let days = 120;
    let options = HistoryOptions {
        days,
        seed: 7,
        county: false,
    };
    let (loaded, _) = demo::load_with_history(&state, &county, options)
        .await
        .expect("load with history");
    let admin_user = loaded
        .users
        .iter()
        .find(|u| u.role == UserRole::Admin)
        .expect("an administrator")
        .clone();
    let admin = Actor {
        username: admin_user.username.clone(),
        role: UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    };
    let today = state.ctx.clock.today();
    // From before the history to past the furthest booking it made.
    let (first, last) = (
        today - time::Duration::days(i64::from(days) + 5),
        today + time::Duration::days(60),
    );
    book_a_reserved_slot(&state, &admin).await;
    let records = recount(&state, first).await;
    let everything = records.totals(Day::MIN, Day::MAX, |_| true);
    let in_period = records.totals(day_of(first), day_of(last), |_| true);
    assert_eq!(everything, in_period, "every flow falls in the period");
    // The region: every (giver, receiver, kind).
    let region = flows(&state.ctx, &admin, None, first, last)
        .await
        .expect("region flows");
    let service = by_key(&region);
    assert!(
        service == in_period,
        "{:#?}",
        differences(&in_period, &service)
    );
    let seen: BTreeSet<FlowKind> = in_period.keys().map(|k| k.2).collect();
    assert_eq!(seen.len(), FlowKind::ALL.len(), "kinds seen: {seen:?}");
    // Every partnership, both directions, and its class from the recount.
    let mut recounted = FlowNetwork::new();
    let ix = |id: &str| region.nodes.iter().find(|n| n.id == id).expect("node").ix;
    for ((from, to, kind), amount) in &in_period {
        recounted.add(day_of(today), ix(from), ix(to), *kind, *amount);
    }
    let rules = &state.ctx.policy.flows;
    assert_eq!(recounted.partnerships(rules), region.partnerships);
    assert!(region.partnerships.len() > 1);

    // Each alliance, through the service and over HTTP.
    let network = tiercare_service::indicators::network(&state.ctx)
        .await
        .expect("network");
    let (base, token, _stop) = serve(&state, &admin_user).await;
    let api = Api {
        client: reqwest::Client::new(),
        base,
        token,
    };
    let mut strata_checked = 0;
    let mut with_strata = None;
    for (k, alliance) in network.alliances.iter().enumerate() {
        let members: BTreeSet<&str> = network
            .institutions
            .iter()
            .zip(&network.directory.institutions)
            .filter(|(_, f)| f.alliances.contains(&(k as u16)))
            .map(|(id, _)| id.as_str())
            .collect();
        let expected = records.totals(day_of(first), day_of(last), |id| members.contains(id));
        let theirs = flows(&state.ctx, &admin, Some(alliance), first, last)
            .await
            .expect("alliance flows");
        let service = by_key(&theirs);
        assert!(
            service == expected,
            "{alliance}: {:#?}",
            differences(&expected, &service)
        );
        // Both directions of every pair with a flow either way.
        let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
        for (g, r, _) in expected.keys() {
            pairs.insert((g.clone(), r.clone()));
            pairs.insert((r.clone(), g.clone()));
        }
        for &kind in FlowKind::ALL {
            let (status, report) = api
                .get(&format!(
                    "/Measure/flow-{}/$evaluate-measure?periodStart={first}&periodEnd={last}&subject=Organization/{alliance}",
                    kind.code()
                ))
                .await;
            assert_eq!(status, 200, "{report}");
            assert_eq!(report["resourceType"], "MeasureReport", "{report}");
            let got = strata(&report);
            let want: BTreeMap<String, f64> = pairs
                .iter()
                .map(|(g, r)| {
                    let amount = expected
                        .get(&(g.clone(), r.clone(), kind))
                        .copied()
                        .unwrap_or(0);
                    (format!("{g}->{r}"), score_of(kind, amount))
                })
                .collect();
            assert_eq!(got, want, "{alliance} {kind}");
            let total: u64 = expected
                .iter()
                .filter(|(key, _)| key.2 == kind)
                .map(|(_, a)| a)
                .sum();
            assert_eq!(
                report["group"][0]["measureScore"]["value"].as_f64(),
                Some(score_of(kind, total)),
                "{alliance} {kind}"
            );
            strata_checked += got.len();
            if !got.is_empty() && with_strata.is_none() {
                with_strata = Some(report.clone());
            }
        }
    }
    assert!(strata_checked > 0);

    // The region, asked for on the type: each kind's strata and the
    // partnerships by class, as the recount classifies them.
    for &kind in FlowKind::ALL {
        let (status, report) = api
            .get(&format!(
                "/Measure/$evaluate-measure?measure=flow-{}&periodStart={first}&periodEnd={last}",
                kind.code()
            ))
            .await;
        assert_eq!(status, 200, "{report}");
        assert!(report.get("subject").is_none());
        for (text, score) in strata(&report) {
            let (g, r) = text.split_once("->").expect("pair");
            let amount = in_period
                .get(&(g.to_string(), r.to_string(), kind))
                .copied()
                .unwrap_or(0);
            assert_eq!(score, score_of(kind, amount), "region {kind} {text}");
        }
    }
    let classes = recounted.partnerships(rules);
    for class in PartnershipClass::ALL {
        let (_, report) = api
            .get(&format!(
                "/Measure/partnerships-{}/$evaluate-measure?periodStart={first}&periodEnd={last}",
                class.code()
            ))
            .await;
        let n = classes.iter().filter(|p| p.class == *class).count();
        assert_eq!(
            report["group"][0]["measureScore"]["value"].as_f64(),
            Some(n as f64),
            "{class}"
        );
        assert_eq!(strata(&report).len(), 2 * classes.len());
    }
    // An institution is not a subject of the flows; the indicators'
    // Bundle stays the indicators'.
    let (status, refused) = api
        .get(&format!(
            "/Measure/flow-money/$evaluate-measure?periodStart={first}&periodEnd={last}&subject=Organization/{}",
            network.institutions[0]
        ))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["issue"][0]["expression"][0], "subject");
    let (status, bundle) = api
        .get(&format!(
            "/Measure/$evaluate-measure?periodStart={first}&periodEnd={last}"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        bundle["entry"].as_array().map(Vec::len),
        Some(tiercare_core::indicators::MEASURES.len())
    );
    // The definitions are listed and read; the reports are valid FHIR.
    let (_, listed) = api
        .get("/Measure?_id=flow-money,partnerships-mutual-share")
        .await;
    assert_eq!(listed["total"], 2, "{listed}");
    let (status, measure) = api.get("/Measure/flow-specialist-hours").await;
    assert_eq!(status, 200);
    let stratifier = &measure["group"][0]["stratifier"][0];
    assert_eq!(stratifier["code"]["text"], "partnership");
    assert_eq!(stratifier["component"][1]["code"]["text"], "receiver");
    crate::validate::assert_valid_fhir(&[
        measure,
        with_strata.expect("a report with strata"),
        bundle,
    ]);
}

#[tokio::test]
async fn flow_reports_follow_who_may_see_which_alliance() {
    let app = crate::helpers::spawn_app().await;
    let path = |subject: &str| {
        format!(
            "/Measure/flow-patients-up/$evaluate-measure?periodStart=2026-01&periodEnd=2026-03{subject}"
        )
    };
    let ccmc = "&subject=Organization/zx-all-ccmc";
    let umg = "&subject=Organization/zx-all-umg";
    for (user, subject, status) in [
        ("admin", "", 200),
        ("analyst", umg, 200),
        ("insurer", "", 200),
        // Staff: the alliances of their own institution, not the region.
        ("doctor", ccmc, 200),
        ("doctor", umg, 403),
        ("doctor", "", 403),
        ("coordinator", ccmc, 200),
        ("coordinator", "", 403),
        ("resident", ccmc, 403),
        // Only an alliance or the region is a subject of the flows.
        ("analyst", "&subject=Organization/zx-tc1", 400),
        ("analyst", "&subject=Group/level-primary", 400),
        ("analyst", "&subject=Organization/zx-all-none", 400),
    ] {
        let resp = app.get(user, &path(subject)).await;
        assert_eq!(resp.status, status, "{user} {subject}: {}", resp.body);
        if status == 400 {
            crate::helpers::assert_outcome(&resp, 400, "subject");
        }
    }
    let report = app.get("doctor", &path(ccmc)).await.json();
    assert_eq!(report["subject"]["reference"], "Organization/zx-all-ccmc");
    assert_eq!(report["group"][0]["measureScore"]["value"], 0.0);
    // The period is required, as for every measure.
    crate::helpers::assert_outcome(
        &app.get(
            "admin",
            "/Measure/flow-money/$evaluate-measure?periodEnd=2026-03",
        )
        .await,
        400,
        "periodStart",
    );
}

/// A reported reading is a reading the hub gave the township and its fee's
/// hub share the township gave the hub, as the order itself records.
#[tokio::test]
async fn a_reported_reading_flows_down_and_its_fee_share_flows_up() {
    use crate::helpers::spawn_app;
    use crate::hubs::{extension, hub_and_reading, sub};
    use crate::referral::{HOSPITAL, op, params};
    use serde_json::json;

    let app = spawn_app().await;
    let (_, reading) = hub_and_reading(&app).await;
    op(
        &app,
        "specialist",
        &reading,
        "report-reading",
        Some(params(&[
            ("conclusion", json!("窦性心律")),
            ("finding", json!("164854000")),
        ])),
        None,
    )
    .await
    .expect(200);
    let read = app
        .get("doctor", &format!("/ServiceRequest/{reading}"))
        .await;
    read.expect(200);
    let order = read.json();
    let charge = extension(&order, "reading-charge").expect("the reading's charge");
    assert_eq!(sub(charge, "fee")["valueMoney"]["value"], json!(30.0));
    assert_eq!(sub(charge, "hub-share")["valueMoney"]["value"], json!(18.0));
    let member = order["extension"]
        .as_array()
        .and_then(|e| {
            e.iter().find(|x| {
                x["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("referring-organization"))
            })
        })
        .and_then(|x| x["valueReference"]["reference"].as_str())
        .and_then(|r| r.strip_prefix("Organization/"))
        .expect("the ordering member")
        .to_string();

    let admin = Actor {
        username: "admin".into(),
        role: UserRole::Admin,
        institution: None,
        practitioner: None,
        resident: None,
    };
    let today = app.state.ctx.clock.today();
    let flows = tiercare_service::flows::flows(&app.state.ctx, &admin, None, today, today)
        .await
        .expect("flows");
    let ix = |id: &str| {
        flows
            .nodes
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.ix)
            .expect("a node")
    };
    let (hub, township) = (ix(HOSPITAL), ix(&member));
    let down = flows.network.edge(hub, township).expect("hub to township");
    assert_eq!(down.total[FlowKind::Readings.index()], 1);
    let up = flows.network.edge(township, hub).expect("township to hub");
    assert_eq!(up.total[FlowKind::Money.index()], 1_800);
}
