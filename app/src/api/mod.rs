//! Server functions: the portal's calls into the domain. Each one checks the caller's
//! role, calls one domain function and returns DTOs; nothing else lives here.

pub mod auth;
pub mod automation;
pub mod backfill;
pub mod contacts;
pub mod events;
pub mod evidence;
pub mod onboarding;
pub mod orgs;
pub mod reconciliation;
pub mod rollout;

#[cfg(feature = "ssr")]
pub mod ctx;
