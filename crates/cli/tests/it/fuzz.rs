//! A property-based fuzz of the FHIR API from its own OpenAPI description
//! (`/fhir/r4/openapi.json`): schemathesis generates requests for every
//! operation there (a few examples each, deterministically) and sends them
//! as the administrator. No answer may be a server error (5xx), and every
//! client error (4xx) must be an `OperationOutcome`
//! (`crates/cli/tests/fuzz_hooks.py`).
//!
//! The Python comes from `TIERCARE_FUZZ_PYTHON`, else
//! `<workspace>/.venv-fuzz`; `./scripts/test.sh` sets it up. Without it
//! this test fails: it never skips.

use crate::helpers::{spawn_app, workspace_root};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const SETUP: &str = "run ./scripts/test.sh once to create .venv-fuzz with schemathesis \
     (or set TIERCARE_FUZZ_PYTHON to a python that has it)";

/// Examples per operation: enough to reach each handler's refusals, few
/// enough that the whole run takes about half a minute.
const EXAMPLES: &str = "5";

/// The python with schemathesis; panics (never skips) without it.
fn python() -> PathBuf {
    let python = std::env::var_os("TIERCARE_FUZZ_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-fuzz/bin/python"));
    let out = Command::new(&python)
        .args(["-c", "import schemathesis; print(schemathesis.__version__)"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {SETUP}", python.display()));
    assert!(
        out.status.success(),
        "{} has no schemathesis; {SETUP}",
        python.display()
    );
    python
}

/// How many checks of a kind ran and passed, from the summary line
/// `name   N / M passed`.
fn performed(report: &str, check: &str) -> Option<(u64, u64)> {
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with(check) && l.contains(" passed"))?;
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    match numbers.as_slice() {
        [passed, total, ..] => Some((*passed, *total)),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_description_survives_a_fuzz() {
    let python = python();
    let app = spawn_app().await;
    let token = app.token("admin").await;
    let url = app.fhir_url("/openapi.json");
    let hooks = workspace_root().join("crates/cli/tests");
    // Hypothesis keeps a cache in the working directory: the test's own.
    let scratch = app.dir().to_path_buf();
    let run = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .args(["-m", "schemathesis.cli", "run", &url])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--hypothesis-max-examples", EXAMPLES])
            .arg("--hypothesis-derandomize")
            .args(["--checks", "not_a_server_error,error_is_operation_outcome"])
            .args(["--workers", "2"])
            .args(["--request-timeout", "10000"])
            .arg("--no-color")
            .current_dir(&scratch)
            .env("PYTHONPATH", &hooks)
            .env("SCHEMATHESIS_HOOKS", "fuzz_hooks")
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .output()
    });
    let out = tokio::time::timeout(Duration::from_secs(240), run)
        .await
        .expect("schemathesis finished within four minutes")
        .expect("schemathesis thread")
        .expect("schemathesis ran");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schemathesis failed:\n{report}");
    let (passed, total) =
        performed(&report, "not_a_server_error").unwrap_or_else(|| panic!("no summary:\n{report}"));
    assert_eq!(passed, total, "{report}");
    // Every operation in the description was exercised, several times.
    assert!(total > 300, "only {total} requests checked:\n{report}");
    let (passed, total) = performed(&report, "error_is_operation_outcome")
        .unwrap_or_else(|| panic!("the OperationOutcome check did not run:\n{report}"));
    assert_eq!(passed, total, "{report}");
    assert!(!report.contains(" errored"), "{report}");
    let _dir = app.stop().await;
}
