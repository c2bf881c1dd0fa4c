//! Programme records and their place in the network.

use super::*;
use crate::Level;
use crate::network::Membership;

#[test]
fn a_programme_names_what_is_wrong_with_it() {
    assert_eq!(programme().validate(), Ok(()));
    let broken = |f: fn(&mut Programme)| {
        let mut p = programme();
        f(&mut p);
        field(p.validate())
    };
    assert_eq!(
        broken(|p| p.end = Some(date!(2026 - 02 - 28))),
        "period.end"
    );
    assert_eq!(broken(|p| p.status = ProgrammeStatus::Ended), "period.end");
    assert_eq!(broken(|p| p.sessions_per_month = 0), "sessionsPerMonth");
    assert_eq!(broken(|p| p.slots_per_session = 0), "slotsPerSession");
    assert_eq!(broken(|p| p.specialists.clear()), "specialist");
    assert_eq!(broken(|p| p.specialists.push(id("sp-a"))), "specialist");
    assert_eq!(broken(|p| p.services.clear()), "service");
    assert_eq!(broken(|p| p.primary = id("h1")), "primary");
    // A resident team is the same model with a heavier commitment.
    let mut team = programme();
    team.kind = ProgrammeKind::ResidentTeam;
    team.sessions_per_month = 21;
    team.end = Some(date!(2026 - 03 - 01));
    assert_eq!(team.validate(), Ok(()));
}

fn member(alliance: &str, institution: &str) -> Membership {
    Membership {
        id: id(&format!("{alliance}-{institution}")),
        alliance: id(alliance),
        institution: id(institution),
        is_lead: false,
        since: None,
    }
}

#[test]
fn the_hospital_is_above_primary_care_and_both_are_in_the_alliance() {
    let p = programme();
    let members = [member("umg1", "h1"), member("umg1", "chc1")];
    assert_eq!(
        p.check_network(Level::Tertiary, Level::Primary, &members),
        Ok(())
    );
    assert_eq!(
        field(p.check_network(Level::Primary, Level::Primary, &members)),
        "hospital"
    );
    assert_eq!(
        field(p.check_network(Level::Secondary, Level::Secondary, &members)),
        "primary"
    );
    // chc1 is a member of another alliance only: that does not count.
    let elsewhere = [member("umg1", "h1"), member("ccm2", "chc1")];
    let err = p
        .check_network(Level::Secondary, Level::Primary, &elsewhere)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "primary: Organization/chc1 is not a member of alliance umg1"
    );
}

#[test]
fn an_ended_programme_takes_no_new_sessions() {
    let mut p = programme();
    assert_eq!(field(p.end_on(date!(2026 - 02 - 01))), "period.end");
    assert_eq!(
        p.status,
        ProgrammeStatus::Active,
        "a refused end changes nothing"
    );
    let event = p.end_on(date!(2026 - 06 - 30)).unwrap();
    assert_eq!(event.kind(), "outreach-programme.ended.v1");
    assert!(p.active_on(date!(2026 - 06 - 30)));
    assert!(!p.active_on(date!(2026 - 07 - 01)));
    assert_eq!(
        p.end_on(date!(2026 - 07 - 31)),
        Err(OutreachError::ProgrammeEnded(id("prog-1")))
    );
    let start = datetime!(2026-05-05 09:00 UTC);
    assert_eq!(
        OutreachSession::schedule(&p, new_session("s1", "sp-a", start), start),
        Err(OutreachError::ProgrammeEnded(id("prog-1")))
    );
}
