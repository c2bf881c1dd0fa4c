//! What the server says about itself and its vocabularies: the
//! CapabilityStatement built from every resource's search table, and the
//! terminology (code systems, the condition-to-level concept map, triage).
//! It reads every resource mapping and none reads it back.

pub mod capability;
pub mod openapi;
pub mod terminology;
