//! Chatwoot: how its webhooks are authenticated and what Ponte reads from their bodies.

pub mod classify;
pub mod config;
pub mod payload;
pub mod signature;
