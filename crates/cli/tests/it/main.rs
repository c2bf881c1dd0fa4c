//! tiercare's integration tests, in one test binary: each test starts a real
//! server on a fresh SQLite file with a small demo county and talks to it
//! over HTTP, as a client would; `simulate` runs the built binary's
//! simulator commands on the shipped scenarios.

mod fixtures;
mod funnels;
mod fuzz;
mod gatekeeping;
mod helpers;
mod indicators;
mod insurance;
mod insurer;
mod loop_history;
mod measure;

mod access;
mod audit_trail;
mod authz;
mod backup;
mod bad_input;
mod booking;
mod browser;
mod closed_loop;
mod concurrency;
mod conformance;
mod conventions;
mod crash;
mod dashboard;
mod demo_county;
mod demo_outreach;
mod evaluation;
mod export;
mod fhir_crud;
mod hardening;
mod history;
mod hubs;
mod operation_params;
mod ops;
mod outreach;
mod outreach_visits;
mod panels;
mod referral;
mod reindex;
mod round_trip;
mod search;
mod servers;
mod simulate;
mod strict_input;
mod subscription;
mod subscription_security;
mod terminology;
mod transaction;
mod ui_admin;
mod ui_dashboard;
mod ui_desk;
mod ui_doctor;
mod ui_frame;
mod ui_insurer;
mod ui_me;
mod ui_office;
mod ui_oversight;
mod ui_privacy;
mod ui_specialist;
mod unit_subjects;
mod users;
mod validate;
mod visit_rules;
