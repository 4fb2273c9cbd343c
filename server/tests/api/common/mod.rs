//! Test harness: starts the real Ponte server on a random port against a fresh database
//! (a SQLite file in a temp folder, or a new PostgreSQL database), with helpers to log in
//! and call the server functions and APIs over HTTP.
#![allow(dead_code)]

pub mod chatwoot;
pub mod fake_chatwoot;
pub mod sink;

use app::domain::{auth, Actor, Services};
use app::model::Role;
use ponte_server::config::Config;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use std::fmt::Debug;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Every test server runs on one runtime that lives as long as the test binary, as in
/// production (one process, one runtime). Each `#[tokio::test]` has its own runtime that
/// ends with the test; server tasks left on it would die mid-request for later tests.
pub fn server_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("server runtime")
    })
}

/// A loopback listener registered with the shared server runtime (so what serves it
/// outlives the test that made it).
pub async fn loopback_listener() -> tokio::net::TcpListener {
    server_runtime()
        .spawn(async { tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback") })
        .await
        .expect("bind task")
}

/// `ponte_server::start` on the shared server runtime.
pub async fn start_server(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<ponte_server::Running, ponte_server::StartError> {
    server_runtime().spawn(ponte_server::start(config, shutdown)).await.expect("server start task")
}

/// How long background work may take before a test fails (generous: the machines are shared).
const EVENTUALLY: Duration = Duration::from_secs(40);

/// Polls `probe` until it answers `Ok` and returns that value; each `Err` is the state seen
/// so far, printed if time runs out. The one way tests wait for background work (runners,
/// workers, n8n executions): a poll, never a fixed sleep.
pub async fn eventually<T, E: Debug, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + EVENTUALLY;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(seen) => assert!(Instant::now() < deadline, "timed out waiting for {what}; last seen: {seen:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `eventually` for a plain condition.
pub async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually(what, || {
        let holds = check();
        async move {
            if holds.await {
                Ok(())
            } else {
                Err("not yet")
            }
        }
    })
    .await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A scenario that touches no storage the engine decides (HTTP routing, generated
/// documents): `storage_free!(name)` runs `async fn name(engine: Engine)` once, on the
/// embedded default, as `name::once`.
#[macro_export]
macro_rules! storage_free {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn once() {
                super::$name($crate::common::Engine::Sqlite).await
            }
        }
    )*};
}

/// Runs one async scenario on both engines: `both_engines!(name)` makes `name::sqlite`
/// and `name::postgres` tests out of `async fn name(engine: Engine)`.
#[macro_export]
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Engine::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Engine::Postgres).await
            }
        }
    )*};
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub services: Services,
    pub engine: Engine,
    pub config: Config,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    /// The PostgreSQL database made for this test, dropped with it.
    postgres: Option<TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(db) = self.postgres.take() {
            // Drop runs inside the test's runtime, where blocking on another runtime is not
            // allowed: the shared server runtime drops the database, waited for from a thread.
            let dropping = server_runtime().spawn(async move {
                if let Err(e) = app::domain::store::drop_postgres_database(&db.admin_url, &db.name).await {
                    eprintln!("could not drop test database {}: {e}", db.name);
                }
            });
            let _ = std::thread::spawn(move || server_runtime().block_on(dropping)).join();
        }
    }
}

/// A database made on the test PostgreSQL server for one test.
pub struct TestDatabase {
    pub admin_url: String,
    pub name: String,
}

pub const PASSWORD: &str = "senha-forte-de-teste";

/// A fresh database for `engine`: a SQLite file in `dir`, or a new PostgreSQL database on
/// the server of PONTE_TEST_POSTGRES_URL (the test command starts one); without it the
/// test fails: it never skips.
pub async fn fresh_database(engine: Engine, dir: &std::path::Path) -> (String, Option<TestDatabase>) {
    match engine {
        Engine::Sqlite => (dir.join("ponte.db").to_string_lossy().into_owned(), None),
        Engine::Postgres => {
            let admin_url = std::env::var("PONTE_TEST_POSTGRES_URL").expect(
                "PONTE_TEST_POSTGRES_URL is not set: run the tests through scripts/test.sh, which starts PostgreSQL",
            );
            let name = format!("ponte_test_{}", &auth::random_token()[..16]);
            app::domain::store::create_postgres_database(&admin_url, &name).await.expect("create test database");
            let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin_url.clone());
            (format!("{base}/{name}"), Some(TestDatabase { admin_url, name }))
        }
    }
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        Self::spawn_with(engine, |_| {}).await
    }

    pub async fn spawn_with(engine: Engine, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::for_data_dir(dir.path().to_path_buf());
        config.bind = "127.0.0.1:0".parse().unwrap();
        let (url, postgres) = fresh_database(engine, dir.path()).await;
        config.database_url = Some(url);
        config.master_secret = None;
        config.public_url = None;
        tweak(&mut config);
        let (tx, rx) = oneshot::channel::<()>();
        let running = start_server(config.clone(), async move {
            let _ = rx.await;
        })
        .await
        .expect("server starts");
        TestApp {
            addr: running.addr,
            base: format!("http://{}", running.addr),
            services: running.services,
            engine,
            config,
            _dir: dir,
            stop: Some(tx),
            postgres,
        }
    }

    /// Stops serving (the database and data folder stay, for a "restarted" server).
    pub fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub fn client(&self) -> Client {
        // A timeout turns a hung request into a failing test instead of a stuck CI run.
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap()
    }

    pub async fn create_user(&self, email: &str, role: Role) {
        auth::create_user(&self.services, &Actor::cli(), email, "Pessoa de Teste", PASSWORD, role)
            .await
            .expect("create user");
    }

    /// A client logged in (through the portal's login server function) with `role`.
    pub async fn logged_in(&self, role: Role) -> Client {
        let email = format!("{}@ponte.test", role.as_str());
        self.create_user(&email, role).await;
        let client = self.client();
        let res = self.server_fn(&client, "login", &[("email", &email), ("password", PASSWORD)]).await;
        assert_eq!(res.status(), StatusCode::OK, "login as {email}");
        client
    }

    /// Loads a portal page as a browser does (HTML accepted, so redirects are real 302s).
    pub async fn page(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).header("accept", "text/html").send().await.expect("page")
    }

    /// Calls a server function the way the hydrated portal does (form-encoded POST).
    pub async fn server_fn(&self, client: &Client, name: &str, form: &[(&str, &str)]) -> Response {
        client.post(self.url(&format!("/api/{name}"))).form(form).send().await.expect("server fn call")
    }

    pub async fn admin_key(&self) -> String {
        auth::create_api_key(&self.services, &Actor::cli(), "tests").await.expect("api key").key
    }
}

/// Runs a statement on the app's database behind its back (tests that make storage refuse).
pub async fn exec(app: &TestApp, sql: &str) {
    match &app.services.db {
        app::domain::store::Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        app::domain::store::Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
    .unwrap();
}

/// An admin API call, `{method} /api/v1/admin/{path}` with the key and an optional JSON
/// body: the status and the answer's JSON (`null` for an empty answer, as a 204's).
pub async fn admin_call(
    app: &TestApp,
    key: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http().request(method, app.url(&format!("/api/v1/admin/{path}"))).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("admin call");
    let status = res.status();
    let text = res.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text}"))
    };
    (status, body)
}

/// A plain HTTP client whose requests fail after 30 s instead of hanging a CI run.
pub fn http() -> Client {
    Client::builder().timeout(std::time::Duration::from_secs(30)).build().unwrap()
}

pub async fn json(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text}"))
}

/// The `code` of a Ponte error body (server functions send the error itself; the JSON
/// APIs wrap it in `{"error": …}`).
pub fn error_code(body: &Value) -> String {
    let err = body.get("error").unwrap_or(body);
    err["code"].as_str().unwrap_or_default().to_string()
}

pub fn field_code(body: &Value, field: &str) -> Option<String> {
    let err = body.get("error").unwrap_or(body);
    err["fields"]
        .as_array()?
        .iter()
        .find(|f| f["field"] == field)
        .map(|f| f["code"].as_str().unwrap_or_default().to_string())
}

/// Announces a body of `declared` bytes but sends only the start of it, then reads the
/// answer: a server that enforces its body limit answers before the upload ends. (A
/// client that insists on writing the whole body races the server closing the socket.)
pub async fn oversized_post(addr: SocketAddr, path: &str, extra_headers: &str, declared: usize) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n{extra_headers}Connection: close\r\n\r\n{{\"slug\": \""
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status: u16 = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"));
    (status, json)
}
