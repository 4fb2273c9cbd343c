//! Ponte's integration tests: one binary (linking the whole app once, not once per file),
//! one module per area. Each test starts the real server on a random port against a
//! fresh SQLite file or PostgreSQL database (`common`); `both_engines!` runs a scenario
//! on each.

#[macro_use]
mod common;

mod admin_api;
mod architecture;
mod backfill;
mod chatwoot_api;
mod cli;
mod contacts_import;
mod evidence;
mod go_live;
mod health;
mod idempotency;
mod live_smoke;
mod n8n;
mod onboarding;
mod pages_under_load;
mod pipeline;
mod portal_auth;
mod portal_home;
mod portal_orgs;
mod review;
mod rollout;
mod smoke;
mod tools;
mod webhooks;
mod wizard;
