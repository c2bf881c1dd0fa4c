//! The FHIR API's own figures: Patient creates over HTTP by `concurrency`
//! clients, and audited Patient reads by one client. Together with the
//! store-alone writes and `GET /healthz` timed beside them (in
//! [`super::run`]), they show what the HTTP layer, validation and audit
//! cost on top of a durable commit and a bare round trip.

use anyhow::bail;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub(super) fn patient(i: usize, team: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{"system": "https://tiercare.org/fhir/sid/resident-id", "value": format!("BENCH{i:08}")}],
        "name": [{"family": "Bench", "given": [format!("Resident{i}")]}],
        "gender": if i.is_multiple_of(2) { "female" } else { "male" },
        "birthDate": "1958-03-14",
        "address": [{"district": "Hekou Town"}],
        "extension": [{
            "url": "https://tiercare.org/fhir/StructureDefinition/family-doctor-contract",
            "extension": [
                {"url": "team", "valueReference": {"reference": format!("CareTeam/{team}")}},
                {"url": "signed", "valueDate": "2026-01-01"}
            ]
        }]
    })
}

pub(crate) async fn timed_gets(
    client: &reqwest::Client,
    urls: Vec<String>,
    token: &str,
) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(urls.len());
    for url in urls {
        let t = Instant::now();
        let resp = client.get(&url).bearer_auth(token).send().await?;
        if !resp.status().is_success() {
            bail!("GET {url}: {}", resp.status());
        }
        resp.bytes().await?;
        out.push(t.elapsed());
    }
    out.sort();
    Ok(out)
}
