//! Liveness, readiness, request ids, compression and start-up behaviour.

use crate::common::*;
use reqwest::StatusCode;

async fn healthz_and_readyz_answer_json(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let res = http().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("x-request-id").is_some(), "every answer carries a request id");
    assert_eq!(json(res).await["status"], "ok");
    let res = http().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = json(res).await;
    assert_eq!(body["status"], "ready");
    assert_eq!(body["migrations"], "applied");
    let expected = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
}

async fn readyz_is_503_when_the_database_is_gone(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.services.db.close().await;
    let res = http().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json(res).await["status"], "not_ready");
}

async fn a_given_request_id_is_kept_and_pages_are_compressed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let res = http().get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = http().get(app.url("/login")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(res.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
}

async fn restart_keeps_data_and_the_master_key(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = app.admin_key().await;
    let sealed = app.services.secrets.encrypt("token-chatwoot").unwrap();
    let config = app.config.clone();
    // A second process on the same data folder and database (as after a restart).
    let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut config2 = config.clone();
    config2.bind = "127.0.0.1:0".parse().unwrap();
    let second = start_server(config2, async move {
        let _ = rx.await;
    })
    .await
    .unwrap();
    assert_eq!(second.services.secrets.decrypt(&sealed).unwrap(), "token-chatwoot");
    let res = http().get(format!("http://{}/api/v1/admin/orgs", second.addr)).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

both_engines!(
    healthz_and_readyz_answer_json,
    readyz_is_503_when_the_database_is_gone,
    restart_keeps_data_and_the_master_key,
);

storage_free!(a_given_request_id_is_kept_and_pages_are_compressed);

#[tokio::test]
async fn a_bad_master_secret_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ponte_server::config::Config::for_data_dir(dir.path().to_path_buf());
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.database_url = Some(dir.path().join("p.db").to_string_lossy().into_owned());
    config.master_secret = Some("curto".into());
    let err = start_server(config, async {}).await.err().expect("start must fail");
    let msg = err.to_string();
    assert!(msg.contains("64 hex"), "{msg}");
    assert!(!msg.contains("curto"), "the secret is not echoed");
}

#[tokio::test]
async fn an_unreachable_database_is_reported_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ponte_server::config::Config::for_data_dir(dir.path().to_path_buf());
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.database_url = Some("postgres://ponte:segredo@127.0.0.1:1/ponte?connect_timeout=2".into());
    let err = start_server(config, async {}).await.err().expect("start must fail");
    let msg = err.to_string();
    assert!(msg.contains("cannot open the database"), "{msg}");
    assert!(!msg.contains("segredo"), "{msg}");
}
