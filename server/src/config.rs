//! Ponte's configuration: flags, each with an environment variable and a default
//! (documented in the README's Configuration section).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "ponte", version, about = "Ponte: Chatwoot ↔ CRM ↔ n8n, per organization")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the portal and the APIs (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Administration: users and admin API keys.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// WhatsApp identities for an org's existing contacts (batched, resumable, idempotent).
    Backfill {
        /// The org's slug.
        #[arg(long)]
        org: String,
        /// Report what would be created and which conflicts would arise, writing no identity.
        #[arg(long)]
        dry_run: bool,
        /// Contacts per batch (one short transaction each).
        #[arg(long, default_value_t = 10000)]
        batch_size: i64,
        /// Go on with this run (after a stop) instead of starting a new one.
        #[arg(long)]
        resume: Option<i64>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create a portal user (admin by default). The password comes from
    /// PONTE_ADMIN_PASSWORD, or from standard input with --password-stdin; otherwise a
    /// random one is generated and printed once.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrador")]
        name: String,
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Admin API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create a key; it is printed once and only its hash is stored.
    Create {
        #[arg(long)]
        name: String,
    },
    /// Revoke a key by id.
    Revoke {
        #[arg(long)]
        id: i64,
    },
    /// List keys (never their secret part).
    List,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "PONTE_BIND", default_value = "127.0.0.1:3000", global = true)]
    pub bind: SocketAddr,
    /// Database: `postgres://…` for PostgreSQL; otherwise a SQLite file. Default: the
    /// SQLite file `ponte.db` in the data folder.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Folder for the SQLite database and the generated master key.
    #[arg(long, env = "PONTE_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// 64 hex characters that encrypt stored credentials. Generated into the data folder
    /// on first start when unset. Never logged.
    #[arg(long, env = "PONTE_MASTER_SECRET", hide_env_values = true, global = true)]
    pub master_secret: Option<String>,
    /// Log format.
    #[arg(long, env = "PONTE_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "PONTE_BODY_LIMIT_BYTES", default_value_t = 1_048_576, global = true)]
    pub body_limit_bytes: usize,
    /// Largest file upload (contacts import), in bytes; read as a stream, never held whole.
    #[arg(long, env = "PONTE_UPLOAD_LIMIT_BYTES", default_value_t = 1 << 30, global = true)]
    pub upload_limit_bytes: usize,
    /// Uploads taking longer are answered 408 (the batches imported so far are kept).
    #[arg(long, env = "PONTE_UPLOAD_TIMEOUT_SECS", default_value_t = 1800, global = true)]
    pub upload_timeout_secs: u64,
    /// Requests taking longer are answered 408.
    #[arg(long, env = "PONTE_REQUEST_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub request_timeout_secs: u64,
    /// Portal session lifetime, in hours.
    #[arg(long, env = "PONTE_SESSION_TTL_HOURS", default_value_t = 12, global = true)]
    pub session_ttl_hours: i64,
    /// Mark cookies Secure even without `X-Forwarded-Proto: https` (set behind TLS).
    #[arg(long, env = "PONTE_SECURE_COOKIES", default_value_t = false, global = true)]
    pub secure_cookies: bool,
    /// Ponte's public base URL: where Chatwoot delivers webhooks (`…/webhooks/chatwoot/<org>`),
    /// what installed n8n workflows call, the printed setup link. Default: the address it
    /// listens on, unless that is 0.0.0.0 or [::] (then the onboarding checks ask for it).
    #[arg(long, env = "PONTE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// How long one request of a live onboarding check may take, in milliseconds.
    #[arg(long, env = "PONTE_CHECK_TIMEOUT_MS", default_value_t = 10_000, global = true)]
    pub check_timeout_ms: u64,
    /// How long a smoke test waits for each thing it waits for (processing, Chatwoot's
    /// webhook, n8n's execution), in milliseconds.
    #[arg(long, env = "PONTE_SMOKE_WAIT_MS", default_value_t = 20_000, global = true)]
    pub smoke_wait_ms: u64,
    /// Where go-live evidence is kept: a folder, or `s3://bucket/prefix` (credentials and
    /// region from the usual AWS_* variables). Default: `evidence/` in the data folder.
    #[arg(long, env = "PONTE_EVIDENCE_STORE", global = true)]
    pub evidence_store: Option<String>,
    /// The S3-compatible endpoint (MinIO, moto, another cloud), for `s3://` stores.
    #[arg(long, env = "PONTE_EVIDENCE_ENDPOINT", global = true)]
    pub evidence_endpoint: Option<String>,
    /// The largest evidence file accepted, in megabytes.
    #[arg(long, env = "PONTE_EVIDENCE_MAX_MB", default_value_t = 25, global = true)]
    pub evidence_max_mb: u64,
    /// Processing workers in this process (0: accept webhooks only, another replica
    /// processes). Default: 2 on SQLite (one writer anyway), 4 on PostgreSQL.
    #[arg(long, env = "PONTE_WORKERS", global = true)]
    pub workers: Option<usize>,
    /// Backfill runs this process works at once (0: leave them to another replica).
    /// Default: 1 on SQLite (one writer anyway), 2 on PostgreSQL.
    #[arg(long, env = "PONTE_BACKFILL_RUNNERS", global = true)]
    pub backfill_runners: Option<usize>,

    /// Attempts before an event is marked dead.
    #[arg(long, env = "PONTE_MAX_ATTEMPTS", default_value_t = 8, global = true)]
    pub max_attempts: i64,

    /// First retry delay; each later retry doubles it (capped at 30 minutes).
    #[arg(long, env = "PONTE_RETRY_BASE_MS", default_value_t = 5000, global = true)]
    pub retry_base_ms: i64,

    /// After a partial batch, wait this long so the next one gathers more events (fewer commits).
    #[arg(long, env = "PONTE_BATCH_GATHER_MS", default_value_t = 20, global = true)]
    pub batch_gather_ms: u64,

    /// Events per processing batch.
    #[arg(long, env = "PONTE_BATCH_SIZE", default_value_t = 64, global = true)]
    pub batch_size: i64,

    /// Folder with the compiled portal assets (set by cargo-leptos).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site", global = true)]
    pub site_root: String,
}

impl Config {
    /// The database URL in use: the configured one or the default SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => self.data_dir.join("ponte.db").to_string_lossy().into_owned(),
        }
    }

    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind)).trim_end_matches('/').to_string()
    }

    /// A configuration for tests and embedding: defaults with the given data folder.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        let cli = Cli::parse_from(["ponte", "--data-dir", &data_dir.to_string_lossy()]);
        cli.config
    }
}

/// The database URL with any password masked, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_password_is_masked() {
        assert_eq!(
            redact_url("postgres://ponte:s3cret@127.0.0.1:5432/ponte"),
            "postgres://ponte:***@127.0.0.1:5432/ponte"
        );
        assert_eq!(redact_url("./data/ponte.db"), "./data/ponte.db");
    }

    #[test]
    fn defaults_serve_sqlite_on_loopback() {
        let cli = Cli::parse_from(["ponte"]);
        assert_eq!(cli.config.bind.to_string(), "127.0.0.1:3000");
        assert!(cli.command.is_none());
        if std::env::var("DATABASE_URL").is_err() {
            assert!(cli.config.database_url().ends_with("ponte.db"));
        }
    }
}
