//! End to end with a real n8n (installed from the npm registry and started by the test
//! command; PONTE_TEST_N8N_URL and PONTE_TEST_N8N_API_KEY point at it): Ponte installs and
//! activates an org's v2 workflow, a Chatwoot message flows through identity and deal into
//! n8n, the workflow calls Ponte's stage-move tool, the deal moves; then the one-action
//! rollback switches to the fallback while ingestion keeps creating contacts and deals
//! (issue: tools API, n8n and rollback). A fake n8n that goes away covers a failing rollback.

use crate::common::chatwoot::*;
use crate::common::*;
use axum::routing::{get, post};
use axum::{Json, Router};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn real_n8n() -> (String, String) {
    let url = std::env::var("PONTE_TEST_N8N_URL")
        .expect("PONTE_TEST_N8N_URL is not set: run the tests through scripts/test.sh, which starts n8n");
    let key = std::env::var("PONTE_TEST_N8N_API_KEY").expect("PONTE_TEST_N8N_API_KEY is not set");
    (url, key)
}

async fn admin(app: &TestApp, key: &str, method: reqwest::Method, path: &str, body: Value) -> (StatusCode, Value) {
    let res = http()
        .request(method, app.url(&format!("/api/v1/admin/orgs/{path}")))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, json(res).await)
}

async fn status_of(app: &TestApp, key: &str, slug: &str) -> Value {
    let res = http()
        .get(app.url(&format!("/api/v1/admin/orgs/{slug}/automation/status")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    json(res).await
}

async fn v2_moves_the_deal_and_rollback_switches_to_the_fallback(engine: Engine) {
    let (n8n_url, n8n_key) = real_n8n();
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(2)).await;
    let key = app.admin_key().await;
    // n8n is shared by every run: a unique org slug keeps webhook paths apart.
    let slug = format!("coronel-{}", &app::domain::auth::random_token()[..8]);
    setup_org(&app, &key, &slug).await;

    // A wrong key or an unreachable n8n is refused when configured, not during a rollback.
    let (status, body) = admin(
        &app,
        &key,
        reqwest::Method::PUT,
        &format!("{slug}/n8n"),
        json!({"base_url": n8n_url, "api_key": "errada"}),
    )
    .await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::BAD_GATEWAY, "n8n_failed"), "{body}");
    let (status, _) = admin(
        &app,
        &key,
        reqwest::Method::PUT,
        &format!("{slug}/n8n"),
        json!({"base_url": "http://127.0.0.1:9", "api_key": n8n_key}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let (status, _) = admin(&app, &key, reqwest::Method::POST, &format!("{slug}/automation/install"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "install needs n8n configured");
    let (status, view) = admin(
        &app,
        &key,
        reqwest::Method::PUT,
        &format!("{slug}/n8n"),
        json!({"base_url": n8n_url, "api_key": n8n_key}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert!(!view.to_string().contains(&n8n_key), "the API key is never read back");

    let (status, installed) =
        admin(&app, &key, reqwest::Method::POST, &format!("{slug}/automation/install"), json!({"ponte_url": app.base}))
            .await;
    assert_eq!(status, StatusCode::OK, "{installed}");
    assert!(installed["n8n"]["v2_workflow_id"].is_string());
    assert_eq!(installed["n8n"]["v2_active"], false, "installed inactive, activated by roll-forward");
    assert_eq!(installed["automation"]["v2_url"], format!("{n8n_url}/webhook/ponte-{slug}-v2"));

    let (status, report) =
        admin(&app, &key, reqwest::Method::POST, &format!("{slug}/automation/roll-forward"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["outcome"], "ok", "{report}");
    let st = status_of(&app, &key, &slug).await;
    assert_eq!((st["n8n"]["v2_active"].clone(), st["n8n"]["fallback_active"].clone()), (json!(true), json!(false)));
    assert_eq!(st["automation"]["mode"], "v2");

    // A customer writes: Ponte → n8n v2 → Ponte's stage-move tool → the deal moves.
    let (status, _) = deliver(&app, &slug, &fixture_json("whatsapp_message_created.json"), "d-1").await;
    assert_eq!(status, StatusCode::OK);
    until("the v2 workflow moves the deal", || async {
        let deals = list(&app, &key, &slug, "deals").await;
        deals.len() == 1 && deals[0]["stage"] == "em-atendimento"
    })
    .await;
    let calls = list(&app, &key, &slug, "tool-calls").await;
    assert!(calls.iter().any(|c| c["tool"] == "stage-move" && c["outcome"] == "ok"), "{calls:?}");

    // Rollback in one action.
    let (status, report) = admin(
        &app,
        &key,
        reqwest::Method::POST,
        &format!("{slug}/automation/rollback"),
        json!({"reason": "v2 respondendo errado"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["outcome"], "ok", "{report}");
    let steps: Vec<&str> = report["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, vec!["deactivate_v2", "activate_fallback", "set_mode", "open_incident"]);
    assert!(report["incident_id"].is_i64());
    let st = status_of(&app, &key, &slug).await;
    assert_eq!((st["n8n"]["v2_active"].clone(), st["n8n"]["fallback_active"].clone()), (json!(false), json!(true)));
    assert_eq!(st["automation"]["mode"], "fallback");
    assert_eq!(st["incidents"][0]["reason"], "v2 respondendo errado");
    assert_eq!(st["incidents"][0]["status"], "open");
    // The v2 webhook is gone in n8n.
    let res = http().post(format!("{n8n_url}/webhook/ponte-{slug}-v2")).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Ingestion keeps going: a new person gets a contact and a deal, handed to the fallback.
    let (status, ack) = deliver(&app, &slug, &fixture_json("instagram_message_created.json"), "d-2").await;
    assert_eq!(status, StatusCode::OK);
    until("the Instagram message is processed", || async {
        event(&app, &key, &slug, &ack["event_id"]).await["status"] == "done"
    })
    .await;
    let ev = event(&app, &key, &slug, &ack["event_id"]).await;
    let forward = ev["steps"].as_array().unwrap().iter().rfind(|s| s["step"] == "forward").unwrap().clone();
    assert!(forward["detail"]["message"].as_str().unwrap().starts_with("fallback"), "{forward}");
    assert_eq!(list(&app, &key, &slug, "deals").await.len(), 2);
    let ig_deal = list(&app, &key, &slug, "deals").await.into_iter().find(|d| d["stage"] == "novo-contato");
    assert!(ig_deal.is_some(), "no v2 ran for the new deal");
}

both_engines!(v2_moves_the_deal_and_rollback_switches_to_the_fallback);

/// A stand-in for n8n that accepts the install and can then go away, to see a rollback
/// whose n8n steps fail.
async fn vanishing_n8n() -> (String, Vanish) {
    let app = Router::new()
        .route(
            "/api/v1/workflows",
            get(|| async { Json(json!({"data": []})) }).post(|| async { Json(json!({"id": "wf-1"})) }),
        )
        .route("/api/v1/credentials", post(|| async { Json(json!({"id": "cred-1"})) }));
    let listener = loopback_listener().await;
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = server_runtime().spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    (format!("http://{addr}"), Vanish { stop: tx, served })
}

struct Vanish {
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<()>,
}

impl Vanish {
    /// Returns once the stand-in has stopped listening (its port then refuses connections).
    async fn now(self) {
        let _ = self.stop.send(());
        let _ = self.served.await;
    }
}

async fn a_rollback_with_n8n_down_still_cuts_v2_off_and_says_what_failed(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let (n8n, stop) = vanishing_n8n().await;
    let (status, body) =
        admin(&app, &key, reqwest::Method::PUT, "coronel/n8n", json!({"base_url": n8n, "api_key": "k"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        admin(&app, &key, reqwest::Method::POST, "coronel/automation/install", json!({"ponte_url": app.base})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = set_automation(&app, &key, "coronel", json!({"mode": "v2"})).await;
    assert_eq!(status, StatusCode::OK);
    stop.now().await;

    let (status, report) = admin(&app, &key, reqwest::Method::POST, "coronel/automation/rollback", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["outcome"], "failed");
    let steps: Vec<(String, bool)> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap().to_string(), s["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("deactivate_v2".to_string(), false),
            ("activate_fallback".to_string(), false),
            ("set_mode".to_string(), true),
            ("open_incident".to_string(), true),
        ]
    );
    assert!(report["steps"][0]["detail"]["message"].as_str().unwrap().contains("inalcançável"), "{report}");
    // Ponte no longer hands anything to v2: paused, since the fallback could not be started.
    let st = status_of(&app, &key, "coronel").await;
    assert_eq!(st["automation"]["mode"], "paused");
    assert!(st["n8n"]["connection_error"]["message"].is_string());
    assert_eq!(st["actions"][0]["outcome"], "failed");
    // Roll forward refuses to pretend: v2 cannot be activated, the mode stays paused.
    let (_, report) = admin(&app, &key, reqwest::Method::POST, "coronel/automation/roll-forward", json!({})).await;
    assert_eq!(report["outcome"], "failed");
    assert_eq!(status_of(&app, &key, "coronel").await["automation"]["mode"], "paused");
}

both_engines!(a_rollback_with_n8n_down_still_cuts_v2_off_and_says_what_failed);
