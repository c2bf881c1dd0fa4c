//! The frame every page shares: who is signed in, where their work is, the
//! language switch and the navigation of their workplace.
//!
//! A user's *workplace* decides where they land after sign-in and what the
//! header offers. It follows from the role and, for doctors and
//! coordinators, from the level of their institution: a doctor at a
//! township centre is a family doctor, at a hospital a specialist; a
//! coordinator at a primary institution runs its front desk, at a hospital
//! its referral office. Nobody lands on a page their role may not see.

use crate::i18n::Lang;
use tiercare_core::Level;
use tiercare_core::access::{Actor, UserRole};
use tiercare_service::Context;

/// Where a user's work is, and so their home page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workplace {
    /// 家庭医生: contracted residents, referrals, e-consults, panels.
    FamilyDoctor,
    /// The front desk of a township centre or clinic: today's visits.
    FrontDesk,
    /// 转诊办: a hospital's incoming referrals, arrivals and beds.
    ReferralOffice,
    /// A hospital doctor: e-consults, referred patients, referral down.
    Specialist,
    /// A resident on their phone: their own record.
    Resident,
    /// The medical insurance fund: claims and budgets.
    Insurer,
    /// The registry, users and the audit trail.
    Admin,
    /// The health commission's figures.
    Analyst,
}

/// Home pages, one per workplace.
pub mod home {
    pub const FAMILY_DOCTOR: &str = "/ui/doctor";
    pub const FRONT_DESK: &str = "/ui/desk";
    pub const REFERRAL_OFFICE: &str = "/ui/office";
    pub const SPECIALIST: &str = "/ui/specialist";
    pub const RESIDENT: &str = "/ui/me";
    pub const INSURER: &str = "/ui/insurer";
    pub const ADMIN: &str = "/ui/admin";
    pub const ANALYST: &str = crate::dashboard::PATH;
    /// The joint programmes page, open to every hospital and primary
    /// doctor taking part.
    pub const PROGRAMMES: &str = "/ui/programmes";
    /// The resource-flow network of an alliance, beside the dashboard.
    pub const NETWORK: &str = "/ui/network";
    /// The emergency network's worklist, for doctors and coordinators.
    pub const EMERGENCY: &str = "/ui/emergency";
}

impl Workplace {
    /// The workplace of a signed-in user. A doctor or coordinator whose
    /// institution cannot be read is taken to work in primary care, where
    /// the pages show only what their care relationships allow anyway.
    pub async fn of(ctx: &Context, actor: &Actor) -> Workplace {
        let level = match &actor.institution {
            Some(id) => tiercare_service::registry::institution(ctx, id.as_str(), "institution")
                .await
                .map(|i| i.level)
                .ok(),
            None => None,
        };
        let in_hospital = level.is_some_and(|l| l != Level::Primary);
        match actor.role {
            UserRole::Admin => Workplace::Admin,
            UserRole::Analyst => Workplace::Analyst,
            UserRole::Resident => Workplace::Resident,
            UserRole::Insurer => Workplace::Insurer,
            UserRole::Doctor if in_hospital => Workplace::Specialist,
            UserRole::Doctor => Workplace::FamilyDoctor,
            UserRole::Coordinator if in_hospital => Workplace::ReferralOffice,
            UserRole::Coordinator => Workplace::FrontDesk,
        }
    }

    /// The code of the workplace, for its message key and CSS hooks.
    pub fn code(self) -> &'static str {
        match self {
            Workplace::FamilyDoctor => "family-doctor",
            Workplace::FrontDesk => "front-desk",
            Workplace::ReferralOffice => "referral-office",
            Workplace::Specialist => "specialist",
            Workplace::Resident => "resident",
            Workplace::Insurer => "insurer",
            Workplace::Admin => "admin",
            Workplace::Analyst => "analyst",
        }
    }

    /// Where the user lands after sign-in.
    pub fn home(self) -> &'static str {
        match self {
            Workplace::FamilyDoctor => home::FAMILY_DOCTOR,
            Workplace::FrontDesk => home::FRONT_DESK,
            Workplace::ReferralOffice => home::REFERRAL_OFFICE,
            Workplace::Specialist => home::SPECIALIST,
            Workplace::Resident => home::RESIDENT,
            Workplace::Insurer => home::INSURER,
            Workplace::Admin => home::ADMIN,
            Workplace::Analyst => home::ANALYST,
        }
    }

    /// The pages the header links to: the home page, then the region's
    /// figures for those who may see them (the resource-flow network
    /// beside the dashboard, and for the fund, which may see every
    /// alliance's).
    fn links(self) -> Vec<(&'static str, &'static str)> {
        let mut links = vec![(self.home(), "nav-home")];
        match self {
            Workplace::Admin => {
                links.push((crate::dashboard::PATH, "nav-indicators"));
                links.push((home::NETWORK, "nav-network"));
                links.push((home::PROGRAMMES, "nav-programmes"));
            }
            Workplace::Analyst => {
                links[0].1 = "nav-indicators";
                links.push((home::NETWORK, "nav-network"));
                links.push((home::PROGRAMMES, "nav-programmes"));
            }
            Workplace::Insurer => links.push((home::NETWORK, "nav-network")),
            Workplace::Specialist | Workplace::ReferralOffice | Workplace::FamilyDoctor => {
                links.push((home::PROGRAMMES, "nav-programmes"));
                links.push((home::EMERGENCY, "nav-emergency"));
            }
            Workplace::FrontDesk => links.push((home::EMERGENCY, "nav-emergency")),
            Workplace::Resident => {}
        }
        links
    }
}

/// The frame of a page: the region, the language and who is signed in.
#[derive(Debug)]
pub struct Chrome {
    pub region: String,
    pub lang: Lang,
    /// This page's path and query, for the language switch to come back to.
    pub path: String,
    pub user: Option<SignedIn>,
}

/// The signed-in user as the page header shows them.
#[derive(Debug)]
pub struct SignedIn {
    pub username: String,
    /// The role in the page's language.
    pub role: String,
    pub csrf: String,
    pub workplace: Workplace,
    pub nav: Vec<NavLink>,
}

/// A link in the header.
#[derive(Debug)]
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

impl Chrome {
    /// The frame for someone not signed in.
    pub fn anonymous(region: &str, lang: Lang, path: &str) -> Chrome {
        Chrome {
            region: region.to_string(),
            lang,
            path: path.to_string(),
            user: None,
        }
    }

    /// The frame for a signed-in user.
    pub fn signed_in(
        region: &str,
        lang: Lang,
        path: &str,
        actor: &Actor,
        workplace: Workplace,
        csrf: &str,
    ) -> Chrome {
        let page = path.split('?').next().unwrap_or(path);
        let nav = workplace
            .links()
            .into_iter()
            .map(|(href, key)| NavLink {
                href,
                label: lang.t(key),
                current: page == href,
            })
            .collect();
        Chrome {
            region: region.to_string(),
            lang,
            path: path.to_string(),
            user: Some(SignedIn {
                username: actor.username.clone(),
                role: lang.t(&format!("workplace-{}", workplace.code())),
                csrf: csrf.to_string(),
                workplace,
                nav,
            }),
        }
    }

    /// A message in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The signed-in user's home page (the sign-in page for nobody).
    pub fn home(&self) -> &'static str {
        match &self.user {
            Some(u) => u.workplace.home(),
            None => crate::session::LOGIN_PATH,
        }
    }

    /// The CSRF token for the page's forms (empty when nobody is signed in:
    /// the only anonymous forms, sign-in and the language switch, carry
    /// their own protection).
    pub fn csrf(&self) -> &str {
        self.user.as_ref().map(|u| u.csrf.as_str()).unwrap_or("")
    }
}
