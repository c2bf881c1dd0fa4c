//! The routing rule of the module documentation, as one function.

use super::{Capability, CentreKind, Emergency, Site, TravelTimes, Windows};
use crate::InstitutionId;
use crate::level::{Level, coded_enum};
use serde::{Deserialize, Serialize};

coded_enum!(
    /// What is done at a step of the route.
    Treatment {
        Pci = "pci" / "Primary PCI",
        Thrombolysis = "thrombolysis" / "Thrombolysis",
        Thrombectomy = "thrombectomy" / "Thrombectomy",
        StrokeUnit = "stroke-unit" / "Stroke unit care",
        TraumaSurgery = "trauma-surgery" / "Trauma surgery",
        Caesarean = "caesarean" / "Emergency obstetric surgery",
        NeonatalIntensiveCare = "nicu" / "Neonatal intensive care",
        /// Resuscitate and stabilise before the transfer.
        Stabilise = "stabilise" / "Stabilise",
    }
);

coded_enum!(
    /// Which branch of the rule decided.
    Rule {
        DirectPci = "direct-pci" / "Direct to a PCI centre within the window",
        LysisThenPci = "lysis-then-pci" / "Thrombolysis first, then transfer for PCI",
        PciOutOfWindow = "pci-out-of-window" / "PCI centre beyond the window, nothing nearer",
        Thrombectomy = "thrombectomy" / "Thrombectomy centre within the window",
        StrokeLysis = "stroke-lysis" / "Stroke thrombolysis within the window",
        StrokeUnit = "stroke-unit" / "Beyond the thrombolysis window: stroke unit",
        TraumaCentre = "trauma-centre" / "Trauma centre within the golden hour",
        StabiliseThenTrauma = "stabilise-then-trauma" / "Stabilise, then transfer to a trauma centre",
        MaternalCentre = "maternal-centre" / "Critical maternal centre within the window",
        NearestTheatre = "nearest-theatre" / "Nearest place able to operate",
        NeonatalCentre = "neonatal-centre" / "Neonatal centre within the window",
        StabiliseThenNeonatal = "stabilise-then-neonatal" / "Stabilise, then transfer to a neonatal centre",
    }
);

/// One leg of a route: where the patient goes, how long it takes, and what
/// is done there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub institution: InstitutionId,
    pub travel_minutes: u32,
    pub treatment: Treatment,
}

/// Where a patient goes, and where next if the first place only bridges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub first: Step,
    pub then: Option<Step>,
    pub rule: Rule,
}

/// Where the patient is when the decision is made.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstContact {
    pub latitude: f64,
    pub longitude: f64,
    /// The institution there (a village clinic, a township), if any; an
    /// ambulance at a roadside has none.
    pub institution: Option<InstitutionId>,
}

/// The patient's emergency as the first contact sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    pub emergency: Emergency,
    /// Minutes since symptom onset at the decision (strokes).
    pub onset_minutes: u32,
    /// A suspected large-vessel occlusion (strokes).
    pub large_vessel: bool,
}

struct Ctx<'a> {
    from: &'a FirstContact,
    minute: u16,
    sites: &'a [Site],
    travel: &'a TravelTimes,
}

impl Ctx<'_> {
    /// The nearest site meeting `ok`, with its travel minutes (ties go to
    /// the lower institution id, so the rule is deterministic).
    fn nearest(&self, ok: impl Fn(&Site) -> bool) -> Option<(&Site, u32)> {
        self.sites
            .iter()
            .filter(|s| ok(s))
            .map(|s| {
                let at = self.from.institution.as_ref();
                let m = self
                    .travel
                    .minutes((self.from.latitude, self.from.longitude), at, s);
                (s, m)
            })
            .min_by(|a, b| (a.1, &a.0.institution).cmp(&(b.1, &b.0.institution)))
    }

    /// The nearest site to `site` meeting `ok`, other than `site` itself.
    fn next_from(&self, site: &Site, ok: impl Fn(&Site) -> bool) -> Option<(&Site, u32)> {
        self.sites
            .iter()
            .filter(|s| s.institution != site.institution && ok(s))
            .map(|s| {
                let m = self.travel.minutes(
                    (site.latitude, site.longitude),
                    Some(&site.institution),
                    s,
                );
                (s, m)
            })
            .min_by(|a, b| (a.1, &a.0.institution).cmp(&(b.1, &b.0.institution)))
    }

    fn can(&self, what: Capability, kind: Option<CentreKind>) -> impl Fn(&Site) -> bool + '_ {
        move |s| s.can(what, kind, self.minute)
    }
}

fn step(site: &Site, minutes: u32, treatment: Treatment) -> Step {
    Step {
        institution: site.institution.clone(),
        travel_minutes: minutes,
        treatment,
    }
}

fn decided(first: Step, then: Option<Step>, rule: Rule) -> Option<Decision> {
    Some(Decision { first, then, rule })
}

/// The destination of `case` from `from` at `minute` after midnight, by
/// the rule of the module documentation; `None` when no site of the
/// network can take the patient at all.
pub fn route(
    case: &Case,
    from: &FirstContact,
    minute: u16,
    sites: &[Site],
    travel: &TravelTimes,
    w: &Windows,
) -> Option<Decision> {
    let c = Ctx {
        from,
        minute,
        sites,
        travel,
    };
    match case.emergency {
        Emergency::Stemi => stemi(&c, w),
        Emergency::Stroke => stroke(&c, case, w),
        Emergency::MajorTrauma => with_bridge(
            &c,
            c.can(Capability::TraumaSurgery, Some(CentreKind::Trauma)),
            w.trauma_golden_hour,
            (Treatment::TraumaSurgery, Rule::TraumaCentre),
            Rule::StabiliseThenTrauma,
        ),
        Emergency::Obstetric => {
            let maternal = c.can(Capability::Caesarean, Some(CentreKind::Maternal));
            if let Some((s, m)) = c.nearest(&maternal)
                && m <= w.obstetric
            {
                return decided(step(s, m, Treatment::Caesarean), None, Rule::MaternalCentre);
            }
            let (s, m) = c.nearest(c.can(Capability::Caesarean, None))?;
            decided(step(s, m, Treatment::Caesarean), None, Rule::NearestTheatre)
        }
        Emergency::Newborn => with_bridge(
            &c,
            c.can(
                Capability::NeonatalIntensiveCare,
                Some(CentreKind::Neonatal),
            ),
            w.neonatal,
            (Treatment::NeonatalIntensiveCare, Rule::NeonatalCentre),
            Rule::StabiliseThenNeonatal,
        ),
    }
}

fn stemi(c: &Ctx<'_>, w: &Windows) -> Option<Decision> {
    let pci = c.can(Capability::Pci, Some(CentreKind::ChestPain));
    let nearest_pci = c.nearest(&pci);
    if let Some((s, m)) = nearest_pci
        && m + w.pci_door_to_wire <= w.pci_first_contact_to_wire
    {
        return decided(step(s, m, Treatment::Pci), None, Rule::DirectPci);
    }
    if let Some((lysis, m)) = c.nearest(c.can(Capability::Thrombolysis, None)) {
        let then = c
            .next_from(lysis, &pci)
            .map(|(s, m)| step(s, m, Treatment::Pci));
        return decided(
            step(lysis, m, Treatment::Thrombolysis),
            then,
            Rule::LysisThenPci,
        );
    }
    let (s, m) = nearest_pci?;
    decided(step(s, m, Treatment::Pci), None, Rule::PciOutOfWindow)
}

fn stroke(c: &Ctx<'_>, case: &Case, w: &Windows) -> Option<Decision> {
    let open_centre = |s: &Site| s.centre_open(CentreKind::Stroke, c.minute);
    if case.large_vessel
        && let Some((s, m)) = c.nearest(c.can(Capability::Thrombectomy, Some(CentreKind::Stroke)))
        && case.onset_minutes + m <= w.stroke_thrombectomy_from_onset
    {
        return decided(
            step(s, m, Treatment::Thrombectomy),
            None,
            Rule::Thrombectomy,
        );
    }
    if let Some((s, m)) = c.nearest(c.can(Capability::Thrombolysis, Some(CentreKind::Stroke)))
        && case.onset_minutes + m + w.stroke_door_to_needle <= w.stroke_thrombolysis_from_onset
    {
        return decided(step(s, m, Treatment::Thrombolysis), None, Rule::StrokeLysis);
    }
    let (s, m) = c.nearest(open_centre)?;
    decided(step(s, m, Treatment::StrokeUnit), None, Rule::StrokeUnit)
}

/// The nearest centre meeting `ok` within `window`; else the nearest open
/// hospital (secondary or tertiary) to stabilise and then the centre.
fn with_bridge(
    c: &Ctx<'_>,
    ok: impl Fn(&Site) -> bool,
    window: u32,
    (treatment, rule): (Treatment, Rule),
    bridged: Rule,
) -> Option<Decision> {
    let centre = c.nearest(&ok);
    if let Some((s, m)) = centre
        && m <= window
    {
        return decided(step(s, m, treatment), None, rule);
    }
    let hospital = |s: &Site| s.level >= Level::Secondary;
    match c.nearest(hospital) {
        Some((h, m)) if centre.is_none_or(|(s, _)| s.institution != h.institution) => {
            let then = c.next_from(h, &ok).map(|(s, m)| step(s, m, treatment));
            decided(step(h, m, Treatment::Stabilise), then, bridged)
        }
        _ => {
            let (s, m) = centre?;
            decided(step(s, m, treatment), None, rule)
        }
    }
}
