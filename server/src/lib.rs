//! The Ponte process as a library: `start` builds the services, binds (port 0 works, for
//! tests) and serves until the shutdown future resolves. `main` only parses the CLI.

pub mod cli;
pub mod config;
pub mod http;
pub mod telemetry;
pub mod workers;

use app::api::ctx::WebConfig;
use app::domain::evidence::blob::{Blobs, Location};
use app::domain::secrets::{KeySource, MasterKey};
use app::domain::store::Db;
use app::domain::{auth, DomainConfig, Services};
use config::{redact_url, Config};
use leptos::config::LeptosOptions;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database ({url}): {reason}")]
    Database { url: String, reason: String },
    #[error("cannot apply migrations: {0}")]
    Migrate(String),
    #[error("master secret: {0}")]
    Secret(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Domain(String),
}

/// Opens the database, applies migrations and loads the master key.
pub async fn services(config: &Config) -> Result<Services, StartError> {
    let url = config.database_url();
    let db =
        Db::connect(&url).await.map_err(|e| StartError::Database { url: redact_url(&url), reason: e.to_string() })?;
    db.migrate().await.map_err(|e| StartError::Migrate(e.to_string()))?;
    let (key, source) = MasterKey::load_or_create(config.master_secret.as_deref(), &config.data_dir)
        .map_err(|e| StartError::Secret(e.to_string()))?;
    match source {
        KeySource::Generated => {
            tracing::warn!(dir = %config.data_dir.display(), "no master secret configured: generated one into the data folder (back it up)")
        }
        KeySource::File => {
            tracing::info!(dir = %config.data_dir.display(), "master secret loaded from the data folder")
        }
        KeySource::Config => tracing::info!("master secret taken from the configuration"),
    }
    let mut domain =
        DomainConfig { session_ttl_ms: config.session_ttl_hours.max(1) * 3600 * 1000, ..DomainConfig::default() };
    domain.pipeline.max_attempts = config.max_attempts.max(1);
    domain.pipeline.retry_base_ms = config.retry_base_ms.max(10);
    domain.pipeline.batch_size = config.batch_size.clamp(1, 1000);
    domain.pipeline.gather_ms = config.batch_gather_ms.min(1000);
    domain.public_url = config.public_url.clone().map(|u| u.trim_end_matches('/').to_string());
    domain.check_timeout = Duration::from_millis(config.check_timeout_ms.clamp(100, 60_000));
    domain.smoke_wait = Duration::from_millis(config.smoke_wait_ms.clamp(100, 300_000));
    domain.evidence_max_bytes = config.evidence_max_mb.clamp(1, 10 * 1024) * 1024 * 1024;
    let mut location = match config.evidence_store.as_deref() {
        Some(raw) => Location::parse(raw).map_err(|e| StartError::Domain(e.to_string()))?,
        None => Location::Local(config.data_dir.join("evidence")),
    };
    if let (Location::S3 { endpoint, allow_http, .. }, Some(e)) = (&mut location, config.evidence_endpoint.as_ref()) {
        *allow_http = e.starts_with("http://");
        *endpoint = Some(e.clone());
    }
    let blobs = Blobs::open(&location).map_err(|e| StartError::Domain(e.to_string()))?;
    tracing::info!(store = blobs.describe(), "evidence store ready");
    tracing::info!(database = db.engine(), url = %redact_url(&url), "database ready");
    let pipeline_db =
        db.relaxed(&url).await.map_err(|e| StartError::Database { url: redact_url(&url), reason: e.to_string() })?;
    Ok(Services::new(db, domain, key).with_pipeline_db(pipeline_db).with_evidence(blobs))
}

pub struct Running {
    pub addr: SocketAddr,
    pub services: Services,
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Builds everything and serves until `shutdown` resolves.
pub async fn start(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<Running, StartError> {
    let services = services(&config).await?;
    start_with(config, services, shutdown).await
}

/// Serves with already-built services (tests reach into them, e.g. to advance the clock).
pub async fn start_with(
    config: Config,
    services: Services,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, StartError> {
    let listener =
        TcpListener::bind(config.bind).await.map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?;
    // Without --public-url, Ponte is reached where it listens (port 0 resolved), unless it
    // listens on every interface: then no one address is right and the checks ask for it.
    let mut services = services;
    if services.config.public_url.is_none() && !addr.ip().is_unspecified() {
        let mut domain = (*services.config).clone();
        domain.public_url = Some(format!("http://{addr}"));
        services.config = std::sync::Arc::new(domain);
    }

    if let Some(token) = auth::ensure_setup_token(&services).await.map_err(|e| StartError::Domain(e.to_string()))? {
        // The one secret Ponte ever logs, on purpose: it is single-use, short-lived, and the
        // only way in on a fresh install without shell access to run `ponte admin create`.
        let base = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        tracing::warn!("no users yet: create the first admin at {}/setup?token={token}", base.trim_end_matches('/'));
    }

    let leptos = LeptosOptions::builder()
        .output_name("ponte")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let state =
        http::AppState { services: services.clone(), leptos, web: WebConfig { secure_cookies: config.secure_cookies } };
    let router = http::router(state, &config);
    let sweeper = workers::spawn_session_sweeper(services.clone(), Duration::from_secs(config.upload_timeout_secs));
    let default_workers = if services.db.engine() == "postgres" { 4 } else { 2 };
    let mut processors = workers::spawn_processors(services.clone(), config.workers.unwrap_or(default_workers));
    let default_runners = if services.db.engine() == "postgres" { 2 } else { 1 };
    processors
        .extend(workers::spawn_backfill_runners(services.clone(), config.backfill_runners.unwrap_or(default_runners)));
    tracing::info!(%addr, "Ponte listening");
    let task = tokio::spawn(async move {
        let result = axum::serve(listener, router).with_graceful_shutdown(shutdown).await;
        sweeper.abort();
        // Workers stop between batches' awaits; an interrupted attempt is retried after its lease.
        for p in processors {
            p.abort();
        }
        result
    });
    Ok(Running { addr, services, task })
}
