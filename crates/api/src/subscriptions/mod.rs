//! FHIR R4 `Subscription` (rest-hook) on `Task` changes, over HTTP.
//!
//! Who may subscribe and what a subscription sees is the service's
//! (`tiercare_service::subscriptions`), and so is the outbox that decides
//! what is sent when. Here:
//!
//! - [`resource`] maps a subscription to and from FHIR JSON;
//! - [`criteria`] parses the criteria as a Task search with the very
//!   parameter table `GET /Task` uses, so a subscription sees exactly what
//!   a Task search by its owner sees;
//! - [`handlers`] are the HTTP handlers (create, read, search, update,
//!   delete);
//! - [`delivery`] is the rest-hook channel the outbox sends through, and
//!   the wake-up after each change;
//! - [`guard`] applies the endpoint rules (the allow-list against requests
//!   into the server's own networks) when a subscription is written and to
//!   every address a delivery would connect to.

pub mod criteria;
pub mod delivery;
pub mod guard;
pub mod handlers;
pub mod resource;

pub use criteria::Criteria;
pub use handlers::*;
