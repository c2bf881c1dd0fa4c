//! A scenario compiled for running: the rules of the core evaluated once
//! into small tables, so that the engine's inner loop is arithmetic.
//! Prices come from `tiercare_core::insurance::adjudicate` on the region's
//! typical charges, gatekeeping from `Policy::gatekeep`, and case
//! positioning from the catalogue's `triage`: the same functions the
//! platform calls for a real patient. Each resident's outpatient year (the
//! deductible met and what the fund paid, for the caps) is kept, and every
//! visit is settled against it with the core's `insurance::Tariff`.

use crate::spec::{ChronicSpec, FollowUpSpec, ReferralSpec, Spec, SpecError, TrustSpec, invalid};
use tiercare_core::Level;
use tiercare_core::catalogue::{Case, Catalogue, Severity, Urgency};
use tiercare_core::indicators::{Directory, InstitutionFacts, SCHEME_SLOTS};
use tiercare_core::insurance::{Fen, ServiceRules, ServiceType, Tariff, Terms, YearUse};
use tiercare_core::policy::{Gate, Policy, VisitRequest};

mod pricing;
use pricing::{prices, settle, terms, year_matters};

/// How a visit came about, for its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceKind {
    SelfReferred = 0,
    ReferredUp = 1,
    ReferredDown = 2,
    FollowUp = 3,
}

/// What the gate says about a self-referred visit at a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Open,
    Bypass,
    Closed,
}

/// One institution as the engine sees it.
#[derive(Debug, Clone)]
pub struct Institution {
    pub id: String,
    /// The name the scenario gives it (empty if none): the flows CSV shows
    /// it beside the id, as the platform's does.
    pub name: String,
    pub level: Level,
    pub inside: bool,
    /// Daily slots open to everyone.
    pub public: u32,
    /// Daily slots reserved for referrals from primary care.
    pub reserved: u32,
    pub upgraded: bool,
}

/// One settlement: where its residents go at each level.
#[derive(Debug, Clone)]
pub struct Place {
    pub weight: f64,
    /// The nearest institution of each level, if any is reachable.
    pub nearest: [Option<u32>; 3],
    pub travel_hours: [f64; 3],
    /// The nearest institution is within the access threshold.
    pub access: bool,
}

/// One age group.
#[derive(Debug, Clone)]
pub struct Group {
    pub share: f64,
    pub episodes_per_day: f64,
    pub contract_share: f64,
    pub key_group: bool,
    pub chronic_prevalence: f64,
}

/// One kind of episode.
#[derive(Debug, Clone, Copy)]
pub struct CaseType {
    /// Cumulative share, for drawing.
    pub upto: f64,
    pub severity: Severity,
    pub positioned: Level,
    pub emergency: bool,
}

/// A visit's price: the total and the patient's part.
#[derive(Debug, Clone, Copy, Default)]
pub struct Price {
    pub cost: Fen,
    pub out_of_pocket: Fen,
}

/// The compiled scenario.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    /// Days simulated: the warm-up and then the counted days.
    pub days: u32,
    /// Days run first and left out of every figure.
    pub warmup: u32,
    /// Conditions and resident groups the figures are broken down by.
    pub layout: crate::strata::Layout,
    /// Whether runs count facts by condition and group as well (on by
    /// default; a caller that reports the region only turns it off, and
    /// the engine then does no more than before the breakdown existed).
    pub count_groups: bool,
    pub partitions: u32,
    /// Residents of one partition.
    pub residents: u64,
    pub groups: Vec<Group>,
    pub places: Vec<Place>,
    pub institutions: Vec<Institution>,
    pub directory: Directory,
    pub cases: Vec<CaseType>,
    /// Cumulative scheme shares, by scheme slot.
    pub scheme_upto: Vec<f64>,
    pub scheme_codes: Vec<String>,
    /// Each scheme's outpatient rules and overall cap, by scheme slot.
    pub outpatient: Vec<(ServiceRules, Option<Fen>)>,
    /// The region's typical outpatient charge per level.
    pub charges: [Fen; 3],
    /// Prices on a fresh year, `[scheme][level][kind][at own contracted
    /// primary]`: every visit's price when `year_matters` is false.
    pub prices: Vec<[[[Price; 2]; 4]; 3]>,
    /// Some scheme has an annual deductible or a cap a resident can reach,
    /// so a visit's price depends on what the resident used this year.
    pub year_matters: bool,
    pub entry: [Entry; 3],
    pub choice: crate::spec::ChoiceSpec,
    pub referral: ReferralSpec,
    pub follow_up: FollowUpSpec,
    pub trust: TrustSpec,
    pub chronic: Option<ChronicSpec>,
    pub inpatient: Option<crate::inpatient::Inpatient>,
    pub policy: Policy,
    /// The county emergency network and its five emergencies.
    pub emergency: crate::emergency::Network,
}

impl Model {
    /// Compiles `spec` for `residents` per partition (capacities scale
    /// linearly from the spec's own population, at least one slot a day).
    pub fn compile(spec: &Spec, residents: Option<u64>) -> Result<Model, SpecError> {
        let residents = residents.unwrap_or(spec.residents);
        if residents == 0 || residents > u64::from(u32::MAX) {
            return Err(invalid(
                "residents",
                "must be between 1 and 4,294,967,295 per partition",
            ));
        }
        let scale = residents as f64 / spec.residents as f64;
        let levers = &spec.levers;
        let institutions = institutions(spec, scale)?;
        let directory = directory(spec, &institutions)?;
        let places = places(spec, &institutions)?;
        let emergency = crate::emergency::compile(spec, &places)?;
        let groups = groups(spec)?;
        let cases = cases(spec)?;
        let (scheme_codes, scheme_upto) = schemes(spec)?;
        let (outpatient, charges) = tariffs(&spec.policy, &scheme_codes)?;
        let prices = prices(&outpatient, charges);
        let year_matters = year_matters(&outpatient, charges);
        let entry = entry(&spec.policy);
        if !(0.0..=1.0).contains(&spec.trust.initial) {
            return Err(invalid("trust.initial", "must be between 0 and 1"));
        }
        if spec.days == 0 || spec.days > 3650 {
            return Err(invalid("days", "must be between 1 and 3650"));
        }
        if spec.warmup_days > 3650 {
            return Err(invalid("warmup_days", "must be at most 3650"));
        }
        if levers.primary_capacity_factor <= 0.0 {
            return Err(invalid(
                "levers.primary_capacity_factor",
                "must be positive",
            ));
        }
        Ok(Model {
            name: spec.name.clone(),
            days: spec.days + spec.warmup_days,
            warmup: spec.warmup_days,
            layout: crate::strata::Layout::compile(spec)?,
            count_groups: true,
            partitions: spec.partitions.max(1),
            residents,
            groups,
            places,
            institutions,
            directory,
            cases,
            scheme_upto,
            scheme_codes,
            outpatient,
            charges,
            prices,
            year_matters,
            entry,
            choice: spec.choice.clone(),
            referral: spec.referral.clone(),
            follow_up: spec.follow_up.clone(),
            trust: spec.trust.clone(),
            chronic: spec.chronic.clone(),
            inpatient: crate::inpatient::compile(spec, scale)?,
            policy: spec.policy.clone(),
            emergency,
        })
    }

    /// The days every figure counts: after the warm-up.
    pub fn counted(&self) -> tiercare_core::indicators::Period {
        tiercare_core::indicators::Period::new(self.warmup as i32, self.days as i32 - 1)
    }

    /// The price of a visit on a fresh year.
    #[inline]
    pub fn price(&self, scheme: u8, level: Level, kind: PriceKind, own_primary: bool) -> Price {
        self.prices[usize::from(scheme)][level.index()][kind as usize][usize::from(own_primary)]
    }

    /// The price of a visit given the resident's year so far, which it
    /// updates. A visit the rules cannot price (they were validated, so
    /// this does not happen) is paid in full by the patient.
    pub fn settle(&self, scheme: u8, terms: &Terms, used: &mut YearUse) -> Price {
        let (rules, cap) = &self.outpatient[usize::from(scheme)];
        settle(
            &Tariff::new(rules, *cap, ServiceType::Outpatient),
            terms,
            used,
        )
    }

    /// The pricing terms of an outpatient visit at the typical charge.
    pub fn terms(
        &self,
        level: Level,
        kind: PriceKind,
        own_primary: bool,
        emergency: bool,
    ) -> Terms {
        terms(self.charges, level, kind, own_primary, emergency)
    }
}

fn institutions(spec: &Spec, scale: f64) -> Result<Vec<Institution>, SpecError> {
    let mut out = Vec::with_capacity(spec.institution.len());
    for (k, i) in spec.institution.iter().enumerate() {
        let field = |f: &str| format!("institution[{k}].{f}");
        if spec.institution[..k].iter().any(|o| o.id == i.id) {
            return Err(invalid(field("id"), format!("`{}` is used twice", i.id)));
        }
        if i.daily_visits.is_nan() || i.daily_visits <= 0.0 {
            return Err(invalid(field("daily_visits"), "must be positive"));
        }
        let upgraded = i.upgraded
            || (spec.levers.upgrade_all_primary && i.inside && i.level == Level::Primary);
        let factor = if i.level == Level::Primary {
            spec.levers.primary_capacity_factor
        } else {
            1.0
        };
        let daily = ((i.daily_visits * scale * factor).round() as u32).max(1);
        let reserved = if i.level > Level::Primary {
            spec.policy.reserved_of(daily)
        } else {
            0
        };
        out.push(Institution {
            id: i.id.clone(),
            name: i.name.clone(),
            level: i.level,
            inside: i.inside,
            public: daily - reserved,
            reserved,
            upgraded,
        });
    }
    if out.is_empty() {
        return Err(invalid(
            "institution",
            "the region needs at least one institution",
        ));
    }
    if out.len() > usize::from(u16::MAX) {
        return Err(invalid("institution", "at most 65,535 institutions"));
    }
    Ok(out)
}

fn directory(spec: &Spec, institutions: &[Institution]) -> Result<Directory, SpecError> {
    let mut alliances = vec![Vec::new(); institutions.len()];
    for (a, alliance) in spec.alliance.iter().enumerate() {
        for m in &alliance.members {
            let i = institutions
                .iter()
                .position(|i| &i.id == m)
                .ok_or_else(|| {
                    invalid(
                        format!("alliance[{a}].members"),
                        format!("no institution `{m}`"),
                    )
                })?;
            alliances[i].push(a as u16);
        }
    }
    Ok(Directory {
        institutions: spec
            .institution
            .iter()
            .zip(institutions)
            .zip(alliances)
            .map(|((s, i), alliances)| InstitutionFacts {
                level: i.level,
                inside: i.inside,
                alliances,
                physicians: s.physicians,
                beds: s.beds,
                daily_slots: i.public + i.reserved,
            })
            .collect(),
    })
}

fn places(spec: &Spec, institutions: &[Institution]) -> Result<Vec<Place>, SpecError> {
    if spec.settlement.is_empty() || spec.settlement.len() > usize::from(u16::MAX) {
        return Err(invalid(
            "settlement",
            "the region needs 1 to 65,535 settlements",
        ));
    }
    let mut out = Vec::with_capacity(spec.settlement.len());
    for (k, s) in spec.settlement.iter().enumerate() {
        if s.weight.is_nan() || s.weight <= 0.0 {
            return Err(invalid(
                format!("settlement[{k}].weight"),
                "must be positive",
            ));
        }
        for id in s.travel.keys() {
            if !institutions.iter().any(|i| &i.id == id) {
                return Err(invalid(
                    format!("settlement[{k}].travel"),
                    format!("no institution `{id}`"),
                ));
            }
        }
        let minutes = |i: usize| -> Option<f64> {
            let inst = &spec.institution[i];
            if let Some(m) = s.travel.get(&inst.id) {
                return Some(*m);
            }
            let (a, b) = (s.location?, inst.location?);
            let km = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
            Some(km / spec.travel_speed_kmh * 60.0)
        };
        let mut nearest = [None; 3];
        let mut best = [f64::INFINITY; 3];
        let mut closest = f64::INFINITY;
        for (i, inst) in institutions.iter().enumerate() {
            let Some(m) = minutes(i) else { continue };
            closest = closest.min(m);
            let l = inst.level.index();
            // Ties go to the institution listed first.
            if m < best[l] {
                best[l] = m;
                nearest[l] = Some(i as u32);
            }
        }
        if nearest.iter().all(Option::is_none) {
            return Err(invalid(
                format!("settlement[{k}]"),
                "reaches no institution: give travel times or locations",
            ));
        }
        out.push(Place {
            weight: s.weight,
            nearest,
            travel_hours: best.map(|m| m / 60.0),
            access: closest <= f64::from(tiercare_core::indicators::ACCESS_MINUTES),
        });
    }
    Ok(out)
}

fn groups(spec: &Spec) -> Result<Vec<Group>, SpecError> {
    let total: f64 = spec.age_group.iter().map(|g| g.share).sum();
    if spec.age_group.is_empty() || (total - 1.0).abs() > 1e-6 {
        return Err(invalid("age_group", "shares must add up to 1"));
    }
    spec.age_group
        .iter()
        .enumerate()
        .map(|(k, g)| {
            let unit = |v: f64, f: &str| {
                if (0.0..=1.0).contains(&v) {
                    Ok(v)
                } else {
                    Err(invalid(
                        format!("age_group[{k}].{f}"),
                        "must be between 0 and 1",
                    ))
                }
            };
            if g.episodes_per_year.is_nan() || g.episodes_per_year < 0.0 {
                return Err(invalid(
                    format!("age_group[{k}].episodes_per_year"),
                    "must not be negative",
                ));
            }
            let contract = unit(g.contract_share, "contract_share")?;
            Ok(Group {
                share: g.share,
                episodes_per_day: g.episodes_per_year / 365.0,
                contract_share: spec
                    .levers
                    .contract_share_at_least
                    .map_or(contract, |c| contract.max(c)),
                key_group: g.key_group,
                chronic_prevalence: unit(g.chronic_prevalence, "chronic_prevalence")?,
            })
        })
        .collect()
}

fn cases(spec: &Spec) -> Result<Vec<CaseType>, SpecError> {
    let total: f64 = spec.case.iter().map(|c| c.share).sum();
    if spec.case.is_empty() || (total - 1.0).abs() > 1e-6 {
        return Err(invalid("case", "shares must add up to 1"));
    }
    let catalogue = Catalogue::bundled();
    let mut upto = 0.0;
    let mut out = Vec::with_capacity(spec.case.len());
    for (k, c) in spec.case.iter().enumerate() {
        let field = |f: &str| format!("case[{k}].{f}");
        upto += c.share;
        let (positioned, emergency) = match (&c.condition, c.positioned) {
            (Some(code), None) => {
                let condition = catalogue.by_range_code(code).ok_or_else(|| {
                    invalid(
                        field("condition"),
                        format!("`{code}` is not a catalogue entry"),
                    )
                })?;
                let triage = catalogue
                    .triage(&Case {
                        code: condition.code.start.clone(),
                        severity: c.severity,
                        urgency: c.urgency,
                        stable_chronic: false,
                    })
                    .map_err(|e| invalid(field("condition"), e.to_string()))?;
                (triage.level, triage.emergency)
            }
            (None, Some(level)) => (level, c.urgency == Urgency::Emergency),
            _ => {
                return Err(invalid(
                    field("positioned"),
                    "give either `condition` or `positioned`",
                ));
            }
        };
        out.push(CaseType {
            upto,
            severity: c.severity,
            positioned,
            emergency,
        });
    }
    if let Some(last) = out.last_mut() {
        last.upto = 1.0;
    }
    Ok(out)
}

fn schemes(spec: &Spec) -> Result<(Vec<String>, Vec<f64>), SpecError> {
    let rules = spec.policy.insurance.as_ref().ok_or_else(|| {
        invalid(
            "policy.insurance",
            "the simulator prices visits with the region's insurance rules",
        )
    })?;
    if spec.schemes.is_empty() || spec.schemes.len() > SCHEME_SLOTS {
        return Err(invalid(
            "schemes",
            format!("give 1 to {SCHEME_SLOTS} schemes"),
        ));
    }
    let total: f64 = spec.schemes.values().sum();
    if (total - 1.0).abs() > 1e-6 {
        return Err(invalid("schemes", "shares must add up to 1"));
    }
    let mut upto = 0.0;
    let mut codes = Vec::new();
    let mut cum = Vec::new();
    for (code, share) in &spec.schemes {
        if rules.scheme(code).is_none() {
            return Err(invalid(
                "schemes",
                format!("`{code}` is not a scheme of policy.insurance"),
            ));
        }
        upto += share;
        codes.push(code.clone());
        cum.push(upto);
    }
    if let Some(last) = cum.last_mut() {
        *last = 1.0;
    }
    Ok((codes, cum))
}

/// Each scheme's outpatient rules and the typical charges.
type Tariffs = (Vec<(ServiceRules, Option<Fen>)>, [Fen; 3]);

fn tariffs(policy: &Policy, codes: &[String]) -> Result<Tariffs, SpecError> {
    let Some(rules) = policy.insurance.as_ref() else {
        return Err(invalid("policy.insurance", "missing"));
    };
    let mut out = Vec::new();
    for code in codes {
        let scheme = rules.scheme(code).ok_or_else(|| {
            invalid(
                "schemes",
                format!("`{code}` is not a scheme of policy.insurance"),
            )
        })?;
        out.push((scheme.outpatient.clone(), scheme.annual_cap_fen));
    }
    let charges = Level::ALL.map(|l| rules.typical_charge_fen.of(ServiceType::Outpatient, l));
    Ok((out, charges))
}

fn entry(policy: &Policy) -> [Entry; 3] {
    Level::ALL.map(|level| {
        match policy.gatekeep(VisitRequest {
            level,
            emergency: false,
            referred: false,
        }) {
            Gate::Allowed => Entry::Open,
            Gate::Bypass => Entry::Bypass,
            Gate::Refused(_) => Entry::Closed,
        }
    })
}
