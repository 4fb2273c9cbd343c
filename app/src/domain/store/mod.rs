//! The only place with SQL. One enum over the two native pools; each query is written
//! once in the SQL both engines accept and run through `on_db!(db, |pool| …)`, which expands the same
//! code for each pool type (so `FromRow` structs and binds serve both).

pub mod api_keys;
pub mod audit;
pub mod automation;
pub mod backfill;
pub mod codec;
pub mod contacts_import;
pub mod crm;
pub mod evidence;
pub mod golive;
pub mod live_smoke;
pub mod n8n;
pub mod onboarding;
pub mod orgs;
pub mod queue;
pub mod reconciliation;
pub mod review;
pub mod rollout;
pub mod sessions;
pub mod settings;
pub mod tools;
pub mod users;
pub mod webhooks;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the native pool of whichever engine is in use. The
/// closure-like form (`on_db!(db, |pool| …)`) is an ordinary expression list, so rustfmt
/// formats the SQL code inside it.
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::domain::store::Db::Sqlite($pool) => $body,
            $crate::domain::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

impl Db {
    /// Connects to `url`: `postgres://…` or `postgresql://…` for PostgreSQL, anything else
    /// is a SQLite file path (or `sqlite://path`), created on first use.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        Self::connect_with(url, SqliteSynchronous::Full, 8).await
    }

    /// A second handle for work whose commits need not wait for the disk: the processing
    /// pipeline, which redoes idempotently whatever a power loss takes away. On SQLite its
    /// connections commit with `synchronous=NORMAL` (no fsync per commit; in WAL mode the
    /// next FULL commit of an accepted webhook syncs the log for both, so acceptance stays
    /// power-loss durable). On PostgreSQL it is the same pool.
    pub async fn relaxed(&self, url: &str) -> Result<Db, sqlx::Error> {
        match self {
            Db::Postgres(_) => Ok(self.clone()),
            Db::Sqlite(_) => Self::connect_with(url, SqliteSynchronous::Normal, 4).await,
        }
    }

    async fn connect_with(url: &str, sync: SqliteSynchronous, sqlite_connections: u32) -> Result<Db, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if let Some(parent) = Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
                }
            }
            // WAL lets readers run beside the single writer; FULL sync makes each commit
            // survive power loss; the busy timeout turns writer contention into waiting.
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(sync)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new().max_connections(sqlite_connections).connect_with(opts).await?;
            Ok(Db::Sqlite(pool))
        }
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        let migrator = self.migrator();
        on_db!(self, |pool| migrator.run(pool).await)
    }

    /// True when the database answers and every embedded migration is applied.
    pub async fn is_ready(&self) -> Result<bool, sqlx::Error> {
        let expected = self.migrator().iter().filter(|m| m.migration_type.is_up_migration()).count() as i64;
        let applied: i64 = on_db!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success").fetch_one(pool).await?
        });
        Ok(applied >= expected)
    }

    pub async fn close(&self) {
        on_db!(self, |pool| pool.close().await)
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first fails with a busy-snapshot
/// error, not a wait, when another connection commits before its first write.
pub(crate) trait WritePool {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl WritePool for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl WritePool for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>> + Send {
        self.begin()
    }
}

/// `'a', 'b'` for an `IN (…)` of states (`EventStatus::FAILURES`…). Only for the domain's
/// own enums (never user input): inlining them keeps one statement text per list.
pub(crate) fn sql_strings<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    values.into_iter().map(|s| format!("'{}'", s.replace('\'', ""))).collect::<Vec<_>>().join(", ")
}

/// A `FROM` item of the integers in one JSON array bound at `param` (`[1,2,3]`), one row
/// each as column `ids.id`: `IN (SELECT id FROM …)` with one bind, so the statement text
/// (and sqlx's cached statement) is the same whatever the list's length.
pub(crate) fn json_ids(db: &Db, param: &str) -> String {
    match db {
        Db::Sqlite(_) => format!("(SELECT CAST(value AS INTEGER) AS id FROM json_each({param})) AS ids"),
        Db::Postgres(_) => {
            format!(
                "(SELECT CAST(x AS BIGINT) AS id FROM json_array_elements_text(CAST({param} AS json)) AS j(x)) AS \
                ids"
            )
        }
    }
}

/// A `FROM` source of rows passed as one JSON array of arrays bound at `param`
/// (`[[1,"a"],[2,"b"]]`), with the given column names and SQL types: set-based writes of
/// thousands of rows in one statement and one bind, in the dialect of `db`.
pub(crate) fn json_rows(db: &Db, param: &str, columns: &[(&str, &str)]) -> String {
    let cols = |value: &str| {
        columns
            .iter()
            .enumerate()
            .map(|(i, (name, ty))| match db {
                Db::Sqlite(_) => format!("{value} ->> {i} AS {name}"),
                Db::Postgres(_) => format!("CAST({value} ->> {i} AS {ty}) AS {name}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match db {
        Db::Sqlite(_) => format!("(SELECT {} FROM json_each({param}))", cols("value")),
        Db::Postgres(_) => format!("(SELECT {} FROM json_array_elements(CAST({param} AS json)) AS j(x))", cols("x")),
    }
}

/// A `FROM` item of the strings in one JSON array bound at `param` (`["a","b"]`), one row
/// each as column `{alias}.value`: a list of keys in one bind, in the dialect of `db`.
pub(crate) fn json_values(db: &Db, param: &str, alias: &str) -> String {
    match db {
        Db::Sqlite(_) => format!("json_each({param}) AS {alias}"),
        Db::Postgres(_) => format!("json_array_elements_text(CAST({param} AS json)) AS {alias}(value)"),
    }
}

/// Whether `err` is a unique-key violation (the engines name constraints differently, so
/// callers decide which field it concerns from context).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Creates an empty PostgreSQL database (tests and first installs); `name` must be a
/// plain identifier.
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(sqlx::Error::Protocol(format!("bad database name {name}")));
    }
    let pool = PgPoolOptions::new().max_connections(1).connect(admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Drops a PostgreSQL database made by `create_postgres_database`, closing whatever
/// connections still use it (tests, at their end).
pub async fn drop_postgres_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(sqlx::Error::Protocol(format!("bad database name {name}")));
    }
    let pool = PgPoolOptions::new().max_connections(1).connect(admin_url).await?;
    let dropped = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await;
    pool.close().await;
    dropped.map(|_| ())
}

/// Migration file names of both dialects, for the test that keeps them in step.
pub fn migration_names() -> (Vec<String>, Vec<String>) {
    let names = |m: &Migrator| m.iter().map(|m| format!("{}_{}", m.version, m.description)).collect();
    (names(&SQLITE_MIGRATIONS), names(&POSTGRES_MIGRATIONS))
}
