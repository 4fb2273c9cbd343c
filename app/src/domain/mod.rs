//! The business: every rule of Ponte lives here, one module per capability. Edges (axum
//! handlers, Leptos server functions, the CLI) authenticate, parse, call one function of
//! this layer and map the result. Nothing here knows about HTTP or the UI.

pub mod auth;
pub mod chatwoot;
pub mod clock;
pub mod error;
pub mod identity;
pub mod ingest;
pub mod orgs;
pub mod secrets;
pub mod store;

pub use clock::Clock;
pub use error::DomainError;

use std::sync::Arc;
use store::Db;

/// Tunables of the domain, filled from the server's configuration.
#[derive(Clone, Debug)]
pub struct DomainConfig {
    /// How long a portal session lasts, in milliseconds.
    pub session_ttl_ms: i64,
    /// How long a first-admin setup link stays valid, in milliseconds.
    pub setup_link_ttl_ms: i64,
}

impl Default for DomainConfig {
    fn default() -> Self {
        DomainConfig { session_ttl_ms: 12 * 3600 * 1000, setup_link_ttl_ms: 24 * 3600 * 1000 }
    }
}

/// Everything the domain needs, built once at start and shared by every request (axum
/// `State` and Leptos context hold clones of the same value).
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub config: Arc<DomainConfig>,
    pub clock: Arc<Clock>,
    pub secrets: Arc<secrets::MasterKey>,
}

impl Services {
    pub fn new(db: Db, config: DomainConfig, secrets: secrets::MasterKey) -> Self {
        Services { db, config: Arc::new(config), clock: Arc::new(Clock::default()), secrets: Arc::new(secrets) }
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Who is acting, as written in the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    pub fn user(email: &str) -> Self {
        Actor(format!("user:{email}"))
    }
    pub fn api_key(name: &str) -> Self {
        Actor(format!("api_key:{name}"))
    }
    pub fn cli() -> Self {
        Actor("cli".to_string())
    }
}
