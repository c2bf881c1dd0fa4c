//! Sites and wards of an institution as `Location`.

use super::datatypes::*;
use super::organization::{address_place, geolocation};
use super::{
    ParamKind, SearchParam, from_json, name_terms, reference_term, required_id, required_name,
    typed_id, with_type,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tiercare_core::Record;
use tiercare_core::network::Site;
use tiercare_service::ServiceError;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LocationJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    alias: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    position: Option<Position>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    managing_organization: Option<Reference>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Position {
    longitude: f64,
    latitude: f64,
}

pub const SEARCH: &[SearchParam] = &[
    SearchParam::ID,
    SearchParam {
        name: "name",
        kind: ParamKind::String,
        doc: "Name or alias, starts-with on any word; a Chinese name is also found by its pinyin",
    },
    SearchParam {
        name: "organization",
        kind: ParamKind::Reference("Organization"),
        doc: "Managing institution",
    },
];

pub fn render(s: &Site) -> Value {
    let l = LocationJson {
        status: Some("active".into()),
        name: Some(s.name.clone()),
        alias: s.alias.clone(),
        address: s.place.as_ref().map(|p| Address {
            text: Some(p.address.clone()),
            district: Some(p.district.clone()),
            ..Default::default()
        }),
        position: s.place.as_ref().map(|p| Position {
            longitude: p.longitude,
            latitude: p.latitude,
        }),
        managing_organization: Some(Reference::to("Organization", s.institution.as_str())),
        ..Default::default()
    };
    with_type("Location", &l)
}

pub fn parse(value: Value, id: &str) -> Result<Record, ServiceError> {
    let l: LocationJson = from_json("Location", value)?;
    let name = required_name(l.name.as_ref(), "Location")?;
    let institution = required_id(
        l.managing_organization.as_ref(),
        &["Organization"],
        "Location.managingOrganization",
        "the institution (managingOrganization) is required",
    )?;
    let place = match (&l.address, &l.position) {
        (Some(a), Some(p)) => {
            let mut a = a.clone();
            a.extension = vec![geolocation(p.latitude, p.longitude)];
            Some(address_place(&a, "Location.position")?)
        }
        (None, None) => None,
        _ => {
            return Err(ServiceError::invalid(
                "Location.position",
                "give both address and position, or neither",
            ));
        }
    };
    if let Some(p) = &place {
        p.check()
            .map_err(|e| ServiceError::invalid("Location.position", e.to_string()))?;
    }
    Ok(Record::Site(Site {
        id: typed_id(id, "Location.id")?,
        institution,
        name,
        alias: l.alias.clone(),
        place,
    }))
}

pub fn index(s: &Site) -> Vec<(String, String)> {
    let mut t = name_terms("name", &s.name);
    for a in &s.alias {
        t.extend(name_terms("name", a));
    }
    t.push(reference_term(
        "organization",
        "Organization",
        s.institution.as_str(),
    ));
    t
}
