//! A joint programme as a `HealthcareService`: the partner hospital's
//! department (`providedBy`, `specialty`) committed to a primary
//! institution of the same alliance.
//!
//! The commitment itself (the primary institution, the alliance, the
//! period, sessions a month, slots a session, the specialists) has no R4
//! element, so it travels in tiercare extensions; `category` says whether
//! it is an outreach programme or a resident team, `type` lists the
//! services. A new programme is always active: it is ended with `$end`,
//! never by posting `active: false`.

use super::{Ext, check_exts, ext, ext_count, ext_reference, exts, one_ext, ours, reference};
use crate::datatypes::{CodeableConcept, Reference};
use crate::{
    ParamKind, SearchParam, format_date, from_json, parse_date, reference_term, required_id,
    token_terms,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tiercare_core::outreach::{OutreachService, Programme, ProgrammeKind, ProgrammeStatus};
use tiercare_core::{PractitionerId, ProgrammeId, Specialty};
use tiercare_service::ServiceError;

/// Search parameters of `HealthcareService`.
pub const PROGRAMME_SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "organization",
        kind: ParamKind::Reference("Organization"),
        doc: "The partner hospital (providedBy); of a hub, its institution",
    },
    SearchParam {
        name: "primary",
        kind: ParamKind::Reference("Organization"),
        doc: "The primary institution the sessions are held at",
    },
    SearchParam {
        name: "alliance",
        kind: ParamKind::Reference("Organization"),
        doc: "The alliance of the programme",
    },
    SearchParam {
        name: "specialist",
        kind: ParamKind::Reference("Practitioner"),
        doc: "One of the programme's specialists",
    },
    SearchParam {
        name: "service-category",
        kind: ParamKind::Token,
        doc: "outreach or resident-team; for resource-sharing hubs ecg, imaging, laboratory or pathology; for emergency centres chest-pain, stroke, trauma, critical-maternal or critical-neonatal",
    },
    SearchParam {
        name: "specialty",
        kind: ParamKind::Token,
        doc: "The hospital department",
    },
    SearchParam {
        name: "member",
        kind: ParamKind::Reference("Organization"),
        doc: "Resource-sharing hubs: a member institution the hub reads for",
    },
    SearchParam {
        name: "catchment",
        kind: ParamKind::Reference("Organization"),
        doc: "Emergency centres: an institution whose emergencies the centre takes by agreement",
    },
    SearchParam {
        name: "characteristic",
        kind: ParamKind::Token,
        doc: "Emergency centres: a capability (pci, thrombolysis, thrombectomy, trauma-surgery, caesarean, nicu)",
    },
    SearchParam {
        name: "name",
        kind: ParamKind::String,
        doc: "Hubs and emergency centres: the name (also in pinyin)",
    },
    SearchParam {
        name: "active",
        kind: ParamKind::Token,
        doc: "true while the commitment runs",
    },
];

/// A programme as a `HealthcareService`.
pub fn render_programme(p: &Programme) -> Value {
    let mut period = json!({"start": format_date(p.start)});
    if let Some(end) = p.end {
        period["end"] = json!(format_date(end));
    }
    let mut extension = vec![
        ext(
            "outreach-primary",
            "valueReference",
            reference("Organization", p.primary.as_str()),
        ),
        ext(
            "outreach-alliance",
            "valueReference",
            reference("Organization", p.alliance.as_str()),
        ),
        ext("outreach-period", "valuePeriod", period),
        ext(
            "sessions-per-month",
            "valuePositiveInt",
            json!(p.sessions_per_month),
        ),
        ext(
            "slots-per-session",
            "valuePositiveInt",
            json!(p.slots_per_session),
        ),
    ];
    for s in &p.specialists {
        extension.push(ext(
            "outreach-specialist",
            "valueReference",
            reference("Practitioner", s.as_str()),
        ));
    }
    json!({
        "resourceType": "HealthcareService",
        "extension": extension,
        "active": p.status == ProgrammeStatus::Active,
        "providedBy": reference("Organization", p.hospital.as_str()),
        "category": [ours("outreach-kind", p.kind.code(), p.kind.display())],
        "type": p.services.iter().map(|s| ours("outreach-service", s.code(), s.display())).collect::<Vec<_>>(),
        "specialty": [ours("specialty", p.department.code(), p.department.display())],
    })
}

/// The search terms of a programme.
pub fn index_programme(p: &Programme) -> Vec<(String, String)> {
    let mut t = vec![
        reference_term("organization", "Organization", p.hospital.as_str()),
        reference_term("primary", "Organization", p.primary.as_str()),
        reference_term("alliance", "Organization", p.alliance.as_str()),
        (
            "active".into(),
            (p.status == ProgrammeStatus::Active).to_string(),
        ),
    ];
    for s in &p.specialists {
        t.push(reference_term("specialist", "Practitioner", s.as_str()));
    }
    t.extend(token_terms(
        "service-category",
        "outreach-kind",
        p.kind.code(),
    ));
    t.extend(token_terms("specialty", "specialty", p.department.code()));
    t
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
struct ServiceJson {
    id: Option<String>,
    extension: Vec<Ext>,
    active: Option<bool>,
    provided_by: Option<Reference>,
    category: Vec<CodeableConcept>,
    #[serde(rename = "type")]
    type_: Vec<CodeableConcept>,
    specialty: Vec<CodeableConcept>,
}

fn single_code<'a>(
    list: &'a [CodeableConcept],
    system_name: &str,
    field: &str,
) -> Result<Option<&'a str>, ServiceError> {
    match list {
        [] => Ok(None),
        [c] => Ok(c.code_in(system_name)),
        _ => Err(ServiceError::invalid(field, "give one coding")),
    }
}

/// A new programme from a `HealthcareService`: active, with id `id`.
pub fn parse_programme(value: Value, id: ProgrammeId) -> Result<Programme, ServiceError> {
    const F: &str = "HealthcareService";
    let j: ServiceJson = from_json(F, value)?;
    let _ = j.id;
    check_exts(
        &j.extension,
        &[
            "outreach-primary",
            "outreach-alliance",
            "outreach-period",
            "sessions-per-month",
            "slots-per-session",
            "outreach-specialist",
        ],
        "HealthcareService.extension",
    )?;
    if j.active == Some(false) {
        return Err(ServiceError::invalid(
            "HealthcareService.active",
            "a new programme is active; end it with $end",
        ));
    }
    let hospital = required_id(
        j.provided_by.as_ref(),
        &["Organization"],
        "HealthcareService.providedBy",
        "the partner hospital is required",
    )?;
    let field = "HealthcareService.extension(outreach-primary)";
    let primary = one_ext(&j.extension, "outreach-primary", field)?
        .ok_or_else(|| ServiceError::invalid(field, "the primary institution is required"))?;
    let primary = ext_reference(primary, &["Organization"], field)?;
    let field = "HealthcareService.extension(outreach-alliance)";
    let alliance = one_ext(&j.extension, "outreach-alliance", field)?
        .ok_or_else(|| ServiceError::invalid(field, "the alliance is required"))?;
    let alliance = ext_reference(alliance, &["Organization"], field)?;
    let field = "HealthcareService.extension(outreach-period)";
    let period = one_ext(&j.extension, "outreach-period", field)?
        .and_then(|e| e.value_period.clone())
        .ok_or_else(|| ServiceError::invalid(field, "a valuePeriod with the start is required"))?;
    let start = period
        .start
        .as_deref()
        .ok_or_else(|| ServiceError::invalid(format!("{field}.start"), "the start is required"))?;
    let start = parse_date(start, &format!("{field}.start"))?;
    let end = period
        .end
        .as_deref()
        .map(|e| parse_date(e, &format!("{field}.end")))
        .transpose()?;
    let count = |name: &str| -> Result<u32, ServiceError> {
        let field = format!("HealthcareService.extension({name})");
        let e = one_ext(&j.extension, name, &field)?
            .ok_or_else(|| ServiceError::invalid(&field, format!("{name} is required")))?;
        ext_count(e, &field)
    };
    let sessions_per_month = count("sessions-per-month")?;
    let slots_per_session = count("slots-per-session")?;
    let mut specialists = Vec::new();
    for e in exts(&j.extension, "outreach-specialist") {
        let field = "HealthcareService.extension(outreach-specialist)";
        specialists.push(ext_reference::<PractitionerId>(
            e,
            &["Practitioner"],
            field,
        )?);
    }
    let kind = match single_code(&j.category, "outreach-kind", "HealthcareService.category")? {
        None if j.category.is_empty() => ProgrammeKind::Outreach,
        code => crate::our_code(
            code,
            "HealthcareService.category",
            ProgrammeKind::from_code,
            "outreach-kind",
        )?,
    };
    let department = crate::our_code(
        single_code(&j.specialty, "specialty", "HealthcareService.specialty")?,
        "HealthcareService.specialty",
        Specialty::from_code,
        "specialty",
    )?;
    let mut services = Vec::new();
    for (i, c) in j.type_.iter().enumerate() {
        let field = format!("HealthcareService.type[{i}]");
        services.push(crate::our_code(
            c.code_in("outreach-service"),
            &field,
            OutreachService::from_code,
            "outreach-service",
        )?);
    }
    Ok(Programme {
        id,
        hospital,
        department,
        primary,
        alliance,
        kind,
        start,
        end,
        sessions_per_month,
        slots_per_session,
        specialists,
        services,
        status: ProgrammeStatus::Active,
    })
}
