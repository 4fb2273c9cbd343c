//! Chatwoot: how its webhooks are authenticated and what Ponte reads from their bodies.

pub mod config;
pub mod payload;
pub mod signature;
