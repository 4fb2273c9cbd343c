//! The business: every rule of Ponte lives here, one module per capability. Edges (axum
//! handlers, Leptos server functions, the CLI) authenticate, parse, call one function of
//! this layer and map the result. Nothing here knows about HTTP or the UI.

pub mod auth;
pub mod automation;
pub mod backfill;
pub mod calendar;
pub mod chatwoot;
pub mod clock;
pub mod contacts_import;
pub mod crm;
pub mod deals;
pub mod error;
pub mod evidence;
pub mod identity;
pub mod ingest;
pub mod onboarding;
pub mod org_home;
pub mod orgs;
pub mod reconciliation;
pub mod report;
pub mod secrets;
pub mod store;
pub mod tools;
pub mod trace;

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
    pub pipeline: ingest::pipeline::PipelineConfig,
    /// Ponte's public URL: where Chatwoot delivers, what installed workflows call.
    pub public_url: Option<String>,
    /// How long one request of a live onboarding check may take.
    pub check_timeout: std::time::Duration,
    /// How long a smoke test waits for each thing it waits for.
    pub smoke_wait: std::time::Duration,
    /// The largest evidence file accepted, in bytes.
    pub evidence_max_bytes: u64,
}

impl Default for DomainConfig {
    fn default() -> Self {
        DomainConfig {
            session_ttl_ms: 12 * 3600 * 1000,
            setup_link_ttl_ms: 24 * 3600 * 1000,
            pipeline: Default::default(),
            public_url: None,
            check_timeout: std::time::Duration::from_secs(10),
            smoke_wait: std::time::Duration::from_secs(20),
            evidence_max_bytes: 25 * 1024 * 1024,
        }
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
    /// Outgoing HTTP (automation hand-offs): one pool of keep-alive connections.
    pub http: reqwest::Client,
    /// Webhooks: acceptance and the processing pipeline.
    pub ingest: ingest::Ingest,
    /// The backfill runners' wake-up.
    pub backfill: backfill::Runners,
    /// Where go-live evidence is kept (the server sets it from its configuration).
    pub evidence: evidence::blob::Blobs,
}

impl Services {
    pub fn new(db: Db, config: DomainConfig, secrets: secrets::MasterKey) -> Self {
        let ingest = ingest::Ingest::new(db.clone(), config.pipeline.writer_batch);
        // Hand-offs never follow redirects: a workflow URL that moved is a configuration error to see.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .connect_timeout(std::time::Duration::from_secs(5))
            .user_agent(concat!("ponte/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Services {
            db,
            config: Arc::new(config),
            clock: Arc::new(Clock::default()),
            secrets: Arc::new(secrets),
            http,
            ingest,
            backfill: backfill::Runners::default(),
            evidence: evidence::blob::Blobs::in_memory(),
        }
    }

    /// Keeps evidence in `blobs` (a folder or a bucket).
    pub fn with_evidence(mut self, blobs: evidence::blob::Blobs) -> Self {
        self.evidence = blobs;
        self
    }

    /// Uses `db` for the processing pipeline (a `Db::relaxed` handle).
    pub fn with_pipeline_db(mut self, db: Db) -> Self {
        self.ingest.pipeline_db = db;
        self
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
    /// Ponte itself, settling what follows from time passing (no one asked).
    pub fn system() -> Self {
        Actor("ponte".to_string())
    }
}
