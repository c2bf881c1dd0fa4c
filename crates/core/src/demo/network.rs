//! The institutions and alliances of the data file, as domain records.

use super::*;

/// The institutions of the data file, each followed by the village clinics
/// or community stations it lists as children.
pub(super) fn institutions(data: &Data) -> Result<Vec<Institution>, DataError> {
    let mut out: Vec<Institution> = Vec::new();
    for row in &data.institution {
        let identifier = Some(credit_code(out.len()));
        out.push(Institution {
            id: row.id.clone(),
            region: row.region.clone().unwrap_or_else(|| data.region.id.clone()),
            name: row.name.clone(),
            alias: row.alias.clone(),
            identifier,
            kind: row.kind,
            level: row.level,
            part_of: None,
            place: Some(Place {
                address: row.address.clone(),
                district: row.district.clone(),
                latitude: row.latitude,
                longitude: row.longitude,
            }),
            departments: row.departments.clone(),
            capacity: row.capacity,
            active: true,
        });
        let Some(children) = &row.children else {
            continue;
        };
        let (kind, template, words, radius_km) = match row.kind {
            InstitutionKind::TownshipCentre => (
                InstitutionKind::VillageClinic,
                &data.village_clinic,
                &VILLAGE_CLINIC,
                4.0,
            ),
            InstitutionKind::CommunityHealthCentre => (
                InstitutionKind::CommunityStation,
                &data.community_station,
                &COMMUNITY_STATION,
                1.2,
            ),
            other => {
                let message = format!("{}: a {} has no child clinics", row.id, other.display());
                return Err(DataError::Invalid(message));
            }
        };
        for (i, [hanzi, pinyin]) in children.names.iter().enumerate() {
            let (latitude, longitude) = around(
                row.latitude,
                row.longitude,
                radius_km,
                i,
                children.names.len(),
            );
            let identifier = Some(credit_code(out.len()));
            out.push(Institution {
                id: InstitutionId::new(format!("{}-{}", children.id_prefix, i + 1))?,
                region: data.region.id.clone(),
                name: format!("{hanzi}{}{}", words.place_zh, words.kind_zh),
                alias: vec![
                    format!("{pinyin} {}", words.kind_en),
                    format!("{pinyin}{} {}", words.place_py, words.kind_py),
                ],
                identifier,
                kind,
                level: Level::Primary,
                part_of: Some(row.id.clone()),
                place: Some(Place {
                    address: format!("{}{hanzi}{}", row.district, words.place_zh),
                    district: row.district.clone(),
                    latitude,
                    longitude,
                }),
                departments: vec![Department {
                    specialty: Specialty::GeneralPractice,
                    daily_slots: template.daily_slots,
                    beds: 0,
                }],
                capacity: Capacity {
                    physicians: template.physicians,
                    daily_outpatient_slots: template.daily_slots,
                    beds: 0,
                },
                active: true,
            });
        }
    }
    Ok(out)
}

/// How a generated child clinic is named: "六合" becomes "六合村卫生室",
/// alias "Liuhe Village Clinic" and "Liuhecun Weishengshi".
struct ChildWords {
    /// The place word after the village or community name: 村, 社区.
    place_zh: &'static str,
    place_py: &'static str,
    /// What the clinic is, in Chinese, pinyin and English.
    kind_zh: &'static str,
    kind_py: &'static str,
    kind_en: &'static str,
}

const VILLAGE_CLINIC: ChildWords = ChildWords {
    place_zh: "村",
    place_py: "cun",
    kind_zh: "卫生室",
    kind_py: "Weishengshi",
    kind_en: "Village Clinic",
};

const COMMUNITY_STATION: ChildWords = ChildWords {
    place_zh: "社区",
    place_py: " Shequ",
    kind_zh: "卫生服务站",
    kind_py: "Weisheng Fuwuzhan",
    kind_en: "Community Health Station",
};

/// A fictitious unified social credit code (public institution, area 429999).
fn credit_code(n: usize) -> String {
    format!("12{ID_AREA_CODE}MB{:08}", n + 1)
}

/// A point `km` (varied by index) from the centre, spread around the circle,
/// so child clinics sit around their parent and never on top of each other.
fn around(lat: f64, lon: f64, km: f64, index: usize, count: usize) -> (f64, f64) {
    let angle = std::f64::consts::TAU * (index as f64 + 0.25) / count.max(1) as f64;
    let km = km * (0.8 + 0.2 * (index % 3) as f64);
    let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
    let dlat = km * angle.cos() / 111.0;
    let dlon = km * angle.sin() / (111.0 * lat.to_radians().cos());
    (round(lat + dlat), round(lon + dlon))
}

/// Alliances and their memberships: the lead first, then each listed member
/// followed by its own child clinics.
pub(super) fn alliances(
    data: &Data,
    institutions: &[Institution],
) -> Result<(Vec<Alliance>, Vec<Membership>), DataError> {
    let known = |id: &InstitutionId| institutions.iter().any(|i| &i.id == id);
    let (mut alliances, mut memberships) = (Vec::new(), Vec::new());
    for row in &data.alliance {
        if let Some(missing) = std::iter::once(&row.lead)
            .chain(&row.members)
            .find(|i| !known(i))
        {
            return Err(DataError::Invalid(format!(
                "{}: no institution {missing}",
                row.id
            )));
        }
        let since = Some(Date::parse(
            &row.since,
            format_description!("[year]-[month]-[day]"),
        )?);
        let mut members = vec![row.lead.clone()];
        for member in &row.members {
            let children = institutions
                .iter()
                .filter(|i| i.part_of.as_ref() == Some(member));
            for id in std::iter::once(member.clone()).chain(children.map(|i| i.id.clone())) {
                if !members.contains(&id) {
                    members.push(id);
                }
            }
        }
        for institution in members {
            memberships.push(Membership {
                id: MembershipId::new(format!("{}.{institution}", row.id))?,
                alliance: row.id.clone(),
                is_lead: institution == row.lead,
                institution,
                since,
            });
        }
        alliances.push(Alliance {
            id: row.id.clone(),
            region: data.region.id.clone(),
            name: row.name.clone(),
            alias: row.alias.clone(),
            kind: row.kind,
            closeness: row.closeness,
            lead: row.lead.clone(),
        });
    }
    Ok((alliances, memberships))
}

/// Each alliance's lead hospital reads ECGs and images for the alliance's
/// members: its resource-sharing hubs ("examined at the grassroots,
/// diagnosed above").
pub(super) fn hubs(data: &Data) -> Result<Vec<crate::hub::Hub>, DataError> {
    use crate::hub::{Hub, HubKind};
    let mut out = Vec::new();
    for a in &data.alliance {
        for (kind, suffix) in [
            (HubKind::Ecg, "心电诊断中心"),
            (HubKind::Imaging, "影像诊断中心"),
        ] {
            let id = format!("hub-{}-{}", a.lead, kind.code());
            let hub = Hub {
                id: crate::HubId::new(id).map_err(|e| DataError::Invalid(e.to_string()))?,
                name: format!("{}{suffix}", a.name),
                institution: a.lead.clone(),
                kind,
                members: a.members.clone(),
                active: true,
            };
            hub.validate()
                .map_err(|e| DataError::Invalid(format!("{}: {e}", hub.id)))?;
            out.push(hub);
        }
    }
    Ok(out)
}
