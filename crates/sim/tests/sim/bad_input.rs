//! A scenario with a mistake is refused with a `SpecError` that names the
//! field, whether the mistake is found reading the file or compiling it.
//! Each case is a short file over the baseline, as a user would write it.

use crate::helpers::scenario_path;
use tiercare_sim::{Model, Spec, SpecError};

/// Loads and compiles `body` written over `zx-baseline.toml`.
fn try_scenario(body: &str) -> Result<Model, SpecError> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("bad.toml");
    let base = scenario_path("zx-baseline");
    let text = format!("base = {:?}\n{body}", base.display().to_string());
    std::fs::write(&path, text).expect("write the scenario");
    let spec = Spec::load(&path)?;
    Model::compile(&spec, Some(1_000))
}

/// The error of a bad scenario, whose message must name `field`.
fn refused(body: &str, field: &str) -> SpecError {
    let err = try_scenario(body).expect_err("a bad scenario must be refused");
    let message = err.to_string();
    assert!(
        message.contains(field),
        "the message does not name `{field}`: {message}"
    );
    err
}

#[test]
fn the_baseline_itself_is_accepted() {
    // The other cases fail because of what they change, not the base.
    assert!(try_scenario("").is_ok());
}

#[test]
fn age_group_shares_must_add_up_to_one() {
    let err = refused(
        r#"
[[age_group]]
name = "everyone"
share = 0.9
episodes_per_year = 3.0
contract_share = 0.3
"#,
        "age_group",
    );
    assert!(matches!(err, SpecError::Invalid { ref field, .. } if field == "age_group"));
}

#[test]
fn case_shares_must_add_up_to_one() {
    let err = refused(
        r#"
[[case]]
condition = "J00-J06"
share = 0.5
severity = "mild"
"#,
        "case",
    );
    assert!(matches!(err, SpecError::Invalid { ref field, .. } if field == "case"));
}

#[test]
fn scheme_shares_must_add_up_to_one() {
    refused("[schemes]\nurrbmi = 0.5\n", "schemes");
}

#[test]
fn travel_must_name_a_known_institution() {
    let err = refused(
        r#"
[[settlement]]
name = "somewhere"
weight = 1
travel = { zx-h9 = 20 }
"#,
        "settlement[0].travel",
    );
    assert!(err.to_string().contains("zx-h9"), "{err}");
}

#[test]
fn a_case_must_be_a_catalogue_condition() {
    let err = refused(
        r#"
[[case]]
condition = "X99"
share = 1.0
severity = "mild"
"#,
        "case[0].condition",
    );
    assert!(err.to_string().contains("X99"), "{err}");
}

#[test]
fn an_alliance_must_name_known_members() {
    refused(
        r#"
[[alliance]]
id = "nowhere"
members = ["zx-h1", "zx-nowhere"]
"#,
        "alliance[0].members",
    );
}

#[test]
fn an_unknown_field_is_named() {
    let err = refused("[choice]\nwait_per_week = -1.0\n", "wait_per_week");
    assert!(matches!(err, SpecError::Toml { .. }), "{err}");
    refused("colour = \"blue\"\n", "colour");
}

#[test]
fn a_missing_base_is_named() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("orphan.toml");
    std::fs::write(&path, "base = \"no-such-base.toml\"\n").expect("write");
    let err = Spec::load(&path).expect_err("no base");
    assert!(err.to_string().contains("no-such-base.toml"), "{err}");
}
