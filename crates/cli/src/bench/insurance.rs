//! Insurance: the core's pure `estimate` per second (no store at all), and
//! claims adjudicated through the store per second (read the resident's
//! yearly account, adjudicate, write claim, event and account in one
//! durable transaction). Set against the store baseline, they show that
//! the rules cost next to nothing and the commit is what a claim waits on.

use std::time::Instant;

/// Estimates per second from the core's pure `estimate` (three levels,
/// with and without a referral: six adjudications each).
pub(super) fn estimate_rate(
    policy: &tiercare_core::policy::Policy,
    n: usize,
) -> anyhow::Result<f64> {
    use tiercare_core::insurance::{Accumulator, Fen, SchemeId, ServiceType, Visit, estimate};
    let rules = policy
        .insurance
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the policy has no insurance rules"))?;
    let scheme = SchemeId::new("urrbmi")?;
    let date = time::OffsetDateTime::now_utc().date();
    let acc = Accumulator::new(scheme.clone(), date.year());
    let started = Instant::now();
    let mut checksum = 0i64;
    for i in 0..n {
        let visit = Visit {
            scheme: scheme.clone(),
            level: tiercare_core::Level::Primary,
            service: ServiceType::Outpatient,
            total: Fen::new(10_000 + (i as i64 % 50_000)),
            date,
            referral: None,
            follow_up: false,
            emergency: false,
            at_contracted_primary: i % 2 == 0,
            episode_deductible_paid: Fen::ZERO,
        };
        let e = estimate(rules, &visit, &acc)?;
        checksum = checksum.wrapping_add(e.rows[0].self_referred.out_of_pocket.fen());
    }
    std::hint::black_box(checksum);
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Claims adjudicated per second through the store: each claim reads the
/// resident's yearly account, adjudicates, and writes the claim, its
/// event and the account in one durable transaction, `concurrency`
/// residents at a time.
pub(super) async fn claim_rate(
    state: &tiercare_api::AppState,
    residents: &[String],
    claims: usize,
    concurrency: usize,
) -> anyhow::Result<f64> {
    use tiercare_core::Record;
    use tiercare_core::booking::Encounter;
    use tiercare_core::events::Event;
    use tiercare_core::insurance::{
        Accumulator, Claim, Claimed, Fen, SchemeId, ServiceType, Visit, YearAccount, adjudicate,
    };
    use tiercare_store::{Expect, Write};
    let rules = state
        .ctx
        .policy
        .insurance
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the policy has no insurance rules"))?;
    let scheme = SchemeId::new("urrbmi")?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let workers = concurrency.max(1).min(residents.len().max(1));
    for w in 0..workers {
        let store = state.ctx.store.clone();
        let rules = rules.clone();
        let scheme = scheme.clone();
        let mine: Vec<String> = residents.iter().skip(w).step_by(workers).cloned().collect();
        let count = claims / workers;
        tasks.spawn(async move {
            for i in 0..count {
                let Some(resident) = mine.get(i % mine.len().max(1)) else {
                    break;
                };
                let now = time::OffsetDateTime::now_utc();
                let encounter: tiercare_core::EncounterId = format!("bench-{w}-{i}").parse()?;
                let account_id = YearAccount::id_for(&resident.parse()?, &scheme, now.year())
                    .ok_or_else(|| anyhow::anyhow!("account id"))?;
                let (acc, expect) = match store.get("Account", account_id.as_str()).await? {
                    Some(s) => match s.record {
                        Record::Account(a) => (a.accumulator, Expect::Version(s.version)),
                        _ => anyhow::bail!("not an account"),
                    },
                    None => (Accumulator::new(scheme.clone(), now.year()), Expect::New),
                };
                let e = Encounter {
                    id: encounter.clone(),
                    patient: resident.parse()?,
                    institution: "zx-tc1".parse()?,
                    specialty: tiercare_core::Specialty::GeneralPractice,
                    inpatient: false,
                    referral: None,
                    appointment: None,
                    arrived: now,
                    finished: Some(now),
                };
                let visit = Visit {
                    scheme: scheme.clone(),
                    level: tiercare_core::Level::Primary,
                    service: ServiceType::Outpatient,
                    total: Fen::yuan(86),
                    date: now.date(),
                    referral: None,
                    follow_up: false,
                    emergency: false,
                    at_contracted_primary: true,
                    episode_deductible_paid: Fen::ZERO,
                };
                let adjudication = adjudicate(&rules, &visit, &acc)?;
                let claim = Claim {
                    id: Claim::id_for(&e.id).ok_or_else(|| anyhow::anyhow!("claim id"))?,
                    service: Claimed::Visit {
                        encounter: e.id.clone(),
                    },
                    patient: e.patient.clone(),
                    institution: e.institution.clone(),
                    visit,
                    adjudication: adjudication.clone(),
                    created: now,
                };
                let account = YearAccount {
                    id: account_id,
                    resident: e.patient.clone(),
                    accumulator: adjudication.accumulator,
                };
                let writes = vec![
                    Write {
                        index: tiercare_fhir::index(&Record::Claim(Box::new(claim.clone()))),
                        events: vec![Event::ClaimAdjudicated {
                            claim: Box::new(claim.clone()),
                        }],
                        record: Record::Claim(Box::new(claim)),
                        expect: Expect::New,
                        actor: "bench".into(),
                        facts: Vec::new(),
                    },
                    Write {
                        index: Vec::new(),
                        events: Vec::new(),
                        record: Record::Account(account),
                        expect,
                        actor: "bench".into(),
                        facts: Vec::new(),
                    },
                ];
                store.write_all(writes, Vec::new()).await?;
            }
            Ok::<usize, anyhow::Error>(count)
        });
    }
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        done += r??;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}
