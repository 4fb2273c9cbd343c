//! Chatwoot as the tests play it: the real payload fixtures (varied per scenario), signed
//! deliveries, and an org set up the way the implementation team does it.

use super::{http, json, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const SECRET: &str = "whsec_coronel_test_secret";

pub fn fixture(name: &str) -> Vec<u8> {
    // `cargo test` gives the package's folder at run time too: right even when the binary was
    // built in another checkout of the repo.
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    std::fs::read(format!("{root}/tests/fixtures/chatwoot/{name}")).unwrap()
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// A customer's WhatsApp message (`wa_id` as Chatwoot sends it) in conversation `conv`.
pub fn wa_message(message_id: i64, conv: i64, wa_id: &str) -> Value {
    let mut m = fixture_json("whatsapp_message_created.json");
    m["id"] = json!(message_id);
    m["conversation"]["id"] = json!(conv);
    m["conversation"]["contact_inbox"]["source_id"] = json!(wa_id);
    m
}

/// A customer's Instagram DM (Instagram-scoped id `igsid`) in conversation `conv`.
pub fn ig_message(message_id: i64, conv: i64, igsid: &str) -> Value {
    let mut m = fixture_json("instagram_message_created.json");
    m["id"] = json!(message_id);
    m["conversation"]["id"] = json!(conv);
    m["conversation"]["contact_inbox"]["source_id"] = json!(igsid);
    m
}

/// Creates org `slug` (named "Org <slug>") through the admin API, nothing configured.
pub async fn create_org(app: &TestApp, key: &str, slug: &str) {
    let res = http()
        .post(app.url("/api/v1/admin/orgs"))
        .bearer_auth(key)
        .json(&json!({"slug": slug, "name": format!("Org {slug}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// Creates org `slug` with the fixtures' Chatwoot account (7), the test secret and the
/// fixtures' inboxes (12 WhatsApp, 13 Instagram).
pub async fn setup_org(app: &TestApp, key: &str, slug: &str) {
    create_org(app, key, slug).await;
    let res = http()
        .put(app.url(&format!("/api/v1/admin/orgs/{slug}/chatwoot")))
        .bearer_auth(key)
        .json(&json!({"webhook_secret": SECRET, "account_id": 7, "inboxes": {"12": "whatsapp", "13": "instagram"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// Takes org `slug` live (`active`) the way a script would, forcing past the checklist.
pub async fn go_live(app: &TestApp, key: &str, slug: &str) {
    for to in ["pre_activation", "activation", "active"] {
        let res = http()
            .put(app.url(&format!("/api/v1/admin/orgs/{slug}/onboarding/state")))
            .bearer_auth(key)
            .json(&json!({"state": to, "force": true, "reason": "org de teste já em produção"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "move to {to}");
    }
}

pub async fn set_automation(app: &TestApp, key: &str, slug: &str, body: Value) -> (StatusCode, Value) {
    let res = http()
        .put(app.url(&format!("/api/v1/admin/orgs/{slug}/automation")))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, json(res).await)
}

/// Posts `body` to the org's webhook, signed with the test secret at the app's clock.
pub async fn deliver(app: &TestApp, slug: &str, body: &Value, delivery: &str) -> (StatusCode, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let ts = (app.services.now() / 1000).to_string();
    let res = http()
        .post(app.url(&format!("/webhooks/chatwoot/{slug}")))
        .header("content-type", "application/json")
        .header("x-chatwoot-delivery", delivery)
        .header("x-chatwoot-timestamp", &ts)
        .header("x-chatwoot-signature", app::domain::chatwoot::signature::sign(SECRET, &ts, &bytes))
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, json(res).await)
}

/// `GET /api/v1/admin/orgs/{slug}/{what}` → the page's items.
pub async fn list(app: &TestApp, key: &str, slug: &str, what: &str) -> Vec<Value> {
    let res = http().get(app.url(&format!("/api/v1/admin/orgs/{slug}/{what}"))).bearer_auth(key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "GET {what}");
    json(res).await["items"].as_array().unwrap().clone()
}

pub async fn event(app: &TestApp, key: &str, slug: &str, id: &Value) -> Value {
    let res =
        http().get(app.url(&format!("/api/v1/admin/orgs/{slug}/events/{id}"))).bearer_auth(key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    json(res).await
}

/// The findings of a check or smoke run as `level:code` (`ok:check_token_user`, …).
pub fn findings(run: &Value) -> Vec<String> {
    run["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{}:{}", l["level"].as_str().unwrap(), l["note"]["code"].as_str().unwrap()))
        .collect()
}

/// Whether a run has the finding `level:code`.
pub fn has(run: &Value, finding: &str) -> bool {
    findings(run).iter().any(|f| f == finding)
}
