//! What every phase of the benchmark shares: a fresh embedded database on
//! a free port, a demo user's bearer token, and the percentiles and
//! milliseconds the figures are reported in. Measures nothing itself; it
//! keeps each measuring file to what it measures.

use crate::config::Settings;
use crate::startup;
use anyhow::Context;
use serde_json::Value;
use std::time::Duration;
use tiercare_core::demo::DemoCounty;

/// A fresh embedded database for `county` in a temporary folder (the
/// caller removes it), with settings that listen on a free port.
pub async fn fresh_state(
    name: &str,
    county: &DemoCounty,
) -> anyhow::Result<(std::path::PathBuf, Settings, tiercare_api::AppState)> {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", dir.join("bench.db").display()),
        region_id: county.region.id.to_string(),
        region_name: county.region.name.clone(),
        ..Settings::default()
    };
    let state = startup::app_state(startup::open_store(&settings).await?, &settings)?;
    Ok((dir, settings, state))
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Logs in a demo user and returns the bearer token.
pub(crate) async fn login(
    client: &reqwest::Client,
    base: &str,
    county: &DemoCounty,
    who: &str,
) -> anyhow::Result<String> {
    let user = county
        .users
        .iter()
        .find(|u| u.username == who)
        .context("demo user")?;
    let tok: Value = client
        .post(format!("{base}/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", &user.username),
            ("password", &user.password),
        ])
        .send()
        .await?
        .json()
        .await?;
    Ok(tok["access_token"]
        .as_str()
        .context("token response")?
        .to_string())
}
