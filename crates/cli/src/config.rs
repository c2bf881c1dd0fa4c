//! Configuration: defaults, then a TOML file, then `TIERCARE_*` environment
//! variables, then command-line flags, each overriding the one before.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Everything a server needs to start.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    /// Address to listen on, `HOST:PORT` (port 0 picks a free port).
    pub listen: String,
    /// `sqlite://PATH` (created if missing).
    pub database_url: String,
    /// Id of the region this deployment serves.
    pub region_id: String,
    /// Name of the region, shown on the landing page.
    pub region_name: String,
    /// Public base URL for links in responses (default: from `Host`).
    pub public_url: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Lifetime of API tokens, in seconds.
    pub token_ttl_seconds: i64,
    /// `text` for people, `json` for log collectors.
    pub log_format: String,
    /// A second listen address, `HOST:PORT`, serving `/healthz`, `/readyz`
    /// and `/metrics` without a token, for the load balancer and the
    /// metrics collector; keep it off the public network. Without it,
    /// `/readyz` and `/metrics` need an administrator's token.
    pub ops_listen: Option<String>,
    /// Limits on connections, requests, sign-ins and indicator periods,
    /// each its own key (`max_connections`, `login_failures_per_account`,
    /// ...): see `tiercare_api::Limits` for their defaults.
    #[serde(flatten)]
    pub limits: tiercare_api::Limits,
    /// The region's policy file (gatekeeping, reserved capacity, deadlines;
    /// the format of `crates/core/data/demo-policy.toml`). Default: the
    /// demo county's policy.
    pub policy_file: Option<String>,
    /// Longest one Subscription notification attempt may take, in ms.
    pub subscription_timeout_ms: u64,
    /// Wait after a failed notification, in ms; doubled after each further
    /// failure (up to five minutes).
    pub subscription_retry_ms: u64,
    /// Failed attempts at one notification before the subscription goes to
    /// status `error`.
    pub subscription_attempts: u32,
    /// How often, in ms, the subscription outbox looks for changes no
    /// request of this server told it of: those another server on the
    /// same database made.
    pub subscription_poll_ms: u64,
    /// Hosts and networks Subscription notifications may go to although
    /// they are not public: host names (matched exactly), addresses and
    /// CIDR networks, e.g. `["his.example.org", "10.1.0.0/16"]`
    /// (environment: `TIERCARE_SUBSCRIPTION_ALLOW=[his.example.org,10.1.0.0/16]`
    /// or `TIERCARE_SUBSCRIPTION_ALLOW=his.example.org,10.1.0.0/16`).
    /// Without an entry, an endpoint resolving to a loopback, link-local
    /// (cloud metadata), private, carrier-grade NAT, multicast or other
    /// non-public address is refused, when written and at every delivery,
    /// so that a subscriber cannot make the server call into its own
    /// network. Default: empty.
    #[serde(deserialize_with = "list_or_commas")]
    pub subscription_allow: Vec<String>,
    /// Send notifications only to what `subscription_allow` lists, public
    /// addresses too. Default: off (public endpoints are allowed).
    pub subscription_allow_only: bool,
    /// A PEM file of certificate authorities trusted for https endpoints
    /// besides the built-in public roots (a region's internal CA).
    /// Certificates are always verified.
    pub subscription_ca_file: Option<String>,
    /// Origins browser applications may call the API from (CORS): each
    /// `scheme://host[:port]`, or `*` for any, e.g.
    /// `["https://app.example.org"]` (environment:
    /// `TIERCARE_CORS_ORIGINS=https://app.example.org`). Applies to
    /// `/fhir/r4`, `/auth/token`, `/auth/revoke`, `/auth/logout` and
    /// `/.well-known/smart-configuration`, never to the web pages.
    /// Default: empty, no CORS headers (browsers allow same-origin only).
    #[serde(default, deserialize_with = "list_or_commas")]
    pub cors_origins: Vec<String>,
}

/// A list, or one string of comma-separated entries: an environment
/// variable holding a single entry need not be written as a list.
fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum List {
        Text(String),
        Items(Vec<String>),
    }
    Ok(match List::deserialize(d)? {
        List::Items(items) => items,
        List::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(String::from)
            .collect(),
    })
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://tiercare.db".into(),
            region_id: "region".into(),
            region_name: "tiercare region".into(),
            public_url: None,
            ops_listen: None,
            limits: tiercare_api::Limits::default(),
            max_body_bytes: 16 * 1024 * 1024,
            token_ttl_seconds: 8 * 3600,
            log_format: "text".into(),
            policy_file: None,
            subscription_timeout_ms: 5_000,
            subscription_retry_ms: 2_000,
            subscription_attempts: 8,
            subscription_poll_ms: 5_000,
            subscription_allow: Vec::new(),
            subscription_allow_only: false,
            subscription_ca_file: None,
            cors_origins: Vec::new(),
        }
    }
}

/// Flags that override the configuration, when given.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Settings {
    /// Loads settings from `base` defaults, the optional file, the
    /// environment and the flags.
    pub fn load(
        base: Settings,
        file: Option<&Path>,
        flags: &Overrides,
    ) -> Result<Settings, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(base));
        match file {
            Some(f) => fig = fig.merge(Toml::file_exact(f)),
            None => fig = fig.merge(Toml::file("tiercare.toml")),
        }
        let settings: Settings = fig
            .merge(Env::prefixed("TIERCARE_"))
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(Box::new)?;
        settings
            .check()
            .map_err(|e| Box::new(figment::Error::from(e)))?;
        Ok(settings)
    }

    /// Refuses settings no server should run with, naming the key.
    pub fn check(&self) -> Result<(), String> {
        let ttl = tiercare_api::limits::TOKEN_TTL_SECONDS;
        if !ttl.contains(&self.token_ttl_seconds) {
            return Err(format!(
                "token_ttl_seconds is {}; it must be from {} to {} (30 days)",
                self.token_ttl_seconds,
                ttl.start(),
                ttl.end()
            ));
        }
        for origin in &self.cors_origins {
            tiercare_api::conventions::check_origin(origin)?;
        }
        let l = &self.limits;
        for (key, value) in [
            ("max_connections", l.max_connections),
            ("max_bundle_entries", l.max_bundle_entries),
            ("login_concurrency", l.login_concurrency),
            ("max_body_bytes", self.max_body_bytes),
        ] {
            if value == 0 {
                return Err(format!("{key} must be at least 1"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_origins_are_origins() {
        let mut s = Settings {
            cors_origins: vec!["https://app.example.org".into(), "*".into()],
            ..Settings::default()
        };
        assert!(s.check().is_ok());
        s.cors_origins = vec!["https://app.example.org/fhir".into()];
        assert!(s.check().unwrap_err().contains("cors_origins"));
        s.cors_origins = vec!["app.example.org".into()];
        assert!(s.check().is_err());
    }

    #[test]
    fn flags_override_file_and_defaults() {
        let dir = std::env::temp_dir().join(format!("tiercare-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\nregion_name = \"Test county\"\n",
        )
        .unwrap();
        let s = Settings::load(Settings::default(), Some(&file), &Overrides::default()).unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert_eq!(s.region_name, "Test county");
        let flags = Overrides {
            listen: Some("127.0.0.1:1".into()),
            database_url: None,
        };
        let s = Settings::load(Settings::default(), Some(&file), &flags).unwrap();
        assert_eq!(s.listen, "127.0.0.1:1");
        std::fs::write(
            &file,
            "subscription_allow = [\"his.example.org\", \"10.1.0.0/16\"]\n",
        )
        .unwrap();
        let s = Settings::load(Settings::default(), Some(&file), &Overrides::default()).unwrap();
        assert_eq!(s.subscription_allow, ["his.example.org", "10.1.0.0/16"]);
        assert!(Settings::default().subscription_allow.is_empty());
        // As the environment gives it: a list, or one entry, or several
        // separated by commas.
        for (text, expected) in [
            (
                "[his.example.org,10.1.0.0/16]",
                &["his.example.org", "10.1.0.0/16"][..],
            ),
            ("127.0.0.1", &["127.0.0.1"][..]),
            (
                "his.example.org, fd00::/8",
                &["his.example.org", "fd00::/8"][..],
            ),
        ] {
            let value: figment::value::Value = text.parse().unwrap();
            let s: Settings = Figment::from(Serialized::defaults(Settings::default()))
                .merge(("subscription_allow", value))
                .extract()
                .unwrap();
            assert_eq!(s.subscription_allow, expected, "{text}");
        }
        std::fs::write(&file, "max_body_bytes = \"lots\"\n").unwrap();
        assert!(Settings::load(Settings::default(), Some(&file), &Overrides::default()).is_err());
        // The limits are keys of their own, beside the others.
        std::fs::write(&file, "max_connections = 10\nlogin_queue = 3\n").unwrap();
        let s = Settings::load(Settings::default(), Some(&file), &Overrides::default()).unwrap();
        assert_eq!((s.limits.max_connections, s.limits.login_queue), (10, 3));
        assert_eq!(s.limits.max_period_days, 3660);
        // A token lifetime that would overflow is refused, naming the key.
        std::fs::write(&file, "token_ttl_seconds = 9223372036854775807\n").unwrap();
        let err = Settings::load(Settings::default(), Some(&file), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("token_ttl_seconds"), "{err}");
    }
}
