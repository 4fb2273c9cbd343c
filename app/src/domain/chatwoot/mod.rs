//! Chatwoot: how its webhooks are authenticated, what Ponte reads from their bodies, and its REST API.

pub mod api;
pub mod classify;
pub mod config;
pub mod payload;
pub mod signature;
