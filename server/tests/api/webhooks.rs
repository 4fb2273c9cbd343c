//! Chatwoot webhook acceptance through the real endpoint: signature, durability, dedupe,
//! and every kind of bad delivery (issue: ingestion, first part).

use crate::common::chatwoot::{fixture, list, SECRET};
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// An org `coronel` with its Chatwoot webhook secret and account 7 (the fixtures').
async fn org_with_chatwoot(engine: Engine) -> (TestApp, String) {
    // Acceptance only: no processing workers, so stored events stay as accepted.
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    let http = http();
    let res = http
        .post(app.url("/api/v1/admin/orgs"))
        .bearer_auth(&key)
        .json(&json!({"slug": "coronel", "name": "Coronel Picanha"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = http
        .put(app.url("/api/v1/admin/orgs/coronel/chatwoot"))
        .bearer_auth(&key)
        .json(&json!({"webhook_secret": SECRET, "account_id": 7, "base_url": "https://chat.exemplo.com.br/", "api_token": "tok-123456", "inboxes": {"12": "whatsapp", "27": "Instagram"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let view = json(res).await;
    assert_eq!(view["has_webhook_secret"], true);
    assert_eq!(view["inboxes"], json!({"12": "whatsapp", "27": "instagram"}));
    assert_eq!(view["base_url"], "https://chat.exemplo.com.br");
    assert!(!view.to_string().contains(SECRET), "the secret is never read back");
    (app, key)
}

struct Sent {
    status: StatusCode,
    body: Value,
}

async fn deliver(app: &TestApp, org: &str, body: &[u8], delivery: &str, sign_with: Option<(&str, i64)>) -> Sent {
    let mut req = http()
        .post(app.url(&format!("/webhooks/chatwoot/{org}")))
        .header("content-type", "application/json")
        .header("x-chatwoot-delivery", delivery)
        .body(body.to_vec());
    if let Some((secret, ts)) = sign_with {
        let ts = ts.to_string();
        req = req
            .header("x-chatwoot-timestamp", &ts)
            .header("x-chatwoot-signature", app::domain::chatwoot::signature::sign(secret, &ts, body));
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    Sent { status, body: json(res).await }
}

fn now_secs(app: &TestApp) -> i64 {
    app.services.now() / 1000
}

async fn events(app: &TestApp, key: &str, query: &str) -> Vec<Value> {
    list(app, key, "coronel", &format!("events{query}")).await
}

async fn a_signed_message_is_stored_before_the_answer(engine: Engine) {
    let (app, key) = org_with_chatwoot(engine).await;
    let body = fixture("whatsapp_message_created.json");
    let sent = deliver(&app, "coronel", &body, "d-1", Some((SECRET, now_secs(&app)))).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert_eq!(sent.body["duplicate"], false);
    assert_eq!(sent.body["status"], "pending");
    let stored = events(&app, &key, "?payload=true").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["id"], sent.body["event_id"]);
    assert_eq!(stored[0]["event"], "message_created");
    assert_eq!(stored[0]["delivery_id"], "d-1");
    assert_eq!(stored[0]["payload"]["id"], 88001);
}

async fn a_redelivery_with_a_new_delivery_id_is_a_duplicate(engine: Engine) {
    let (app, key) = org_with_chatwoot(engine).await;
    let body = fixture("instagram_message_created.json");
    let first = deliver(&app, "coronel", &body, "d-1", Some((SECRET, now_secs(&app)))).await;
    let again = deliver(&app, "coronel", &body, "d-2", Some((SECRET, now_secs(&app)))).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["duplicate"], true);
    assert_eq!(again.body["event_id"], first.body["event_id"]);
    // A later message of the same person is a new event.
    let repeat = deliver(
        &app,
        "coronel",
        &fixture("instagram_message_created_repeat.json"),
        "d-3",
        Some((SECRET, now_secs(&app))),
    )
    .await;
    assert_eq!(repeat.body["duplicate"], false);
    assert_eq!(events(&app, &key, "").await.len(), 2);
}

async fn conversation_and_unknown_events_are_accepted(engine: Engine) {
    let (app, key) = org_with_chatwoot(engine).await;
    let sent =
        deliver(&app, "coronel", &fixture("conversation_created_whatsapp.json"), "c-1", Some((SECRET, now_secs(&app))))
            .await;
    assert_eq!(sent.status, StatusCode::OK);
    assert_eq!(sent.body["status"], "pending");
    let typing = br#"{"event":"conversation_typing_on","user":{"id":1},"conversation":{"id":3311},"is_private":false}"#;
    let sent = deliver(&app, "coronel", typing, "t-1", Some((SECRET, now_secs(&app)))).await;
    assert_eq!(sent.status, StatusCode::OK);
    assert_eq!(sent.body["status"], "ignored");
    let ignored = events(&app, &key, "?status=ignored").await;
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0]["event"], "conversation_typing_on");
    let res = http()
        .get(app.url("/api/v1/admin/orgs/coronel/events?status=quebrado"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn bad_deliveries_are_refused_and_nothing_is_stored(engine: Engine) {
    let (app, key) = org_with_chatwoot(engine).await;
    let body = fixture("whatsapp_message_created.json");
    let now = now_secs(&app);
    // (what, body, signed with (secret, timestamp), expected status, expected code)
    type Case<'a> = (&'a str, Vec<u8>, Option<(&'a str, i64)>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        ("no signature", body.clone(), None, StatusCode::UNAUTHORIZED, "signature_invalid"),
        ("wrong secret", body.clone(), Some(("outro-segredo", now)), StatusCode::UNAUTHORIZED, "signature_invalid"),
        ("replayed (10 min old)", body.clone(), Some((SECRET, now - 600)), StatusCode::UNAUTHORIZED, "signature_stale"),
        ("from the future", body.clone(), Some((SECRET, now + 600)), StatusCode::UNAUTHORIZED, "signature_stale"),
        ("not JSON", b"event=message_created".to_vec(), Some((SECRET, now)), StatusCode::BAD_REQUEST, "invalid_json"),
        ("JSON array", b"[1,2,3]".to_vec(), Some((SECRET, now)), StatusCode::BAD_REQUEST, "invalid_json"),
        (
            "no event field",
            br#"{"id": 1}"#.to_vec(),
            Some((SECRET, now)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "event_missing",
        ),
        (
            "other account",
            br#"{"event":"message_created","id":5,"account":{"id":99}}"#.to_vec(),
            Some((SECRET, now)),
            StatusCode::FORBIDDEN,
            "account_mismatch",
        ),
        ("invalid UTF-8", vec![0xff, 0xfe, 0x7b], Some((SECRET, now)), StatusCode::BAD_REQUEST, "invalid_json"),
    ];
    for (what, body, sign, status, code) in cases {
        let sent = deliver(&app, "coronel", &body, "x", sign).await;
        assert_eq!(sent.status, status, "{what}: {}", sent.body);
        assert_eq!(error_code(&sent.body), code, "{what}");
    }
    // A body tampered with after signing.
    let ts = now.to_string();
    let sig = app::domain::chatwoot::signature::sign(SECRET, &ts, &body);
    let mut tampered = body.clone();
    let pos = tampered.iter().position(|b| *b == b'6').unwrap();
    tampered[pos] = b'9';
    let res = http()
        .post(app.url("/webhooks/chatwoot/coronel"))
        .header("x-chatwoot-timestamp", &ts)
        .header("x-chatwoot-signature", &sig)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(events(&app, &key, "").await.is_empty(), "nothing refused was stored");
    // Unknown org, and an org without a configured secret.
    let sent = deliver(&app, "nao-existe", &body, "x", Some((SECRET, now))).await;
    assert_eq!(sent.status, StatusCode::NOT_FOUND);
    http()
        .post(app.url("/api/v1/admin/orgs"))
        .bearer_auth(&key)
        .json(&json!({"slug": "sem-chatwoot", "name": "S"}))
        .send()
        .await
        .unwrap();
    let sent = deliver(&app, "sem-chatwoot", &body, "x", Some((SECRET, now))).await;
    assert_eq!(sent.status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&sent.body), "webhook_not_configured");
    // Over the body limit.
    let (status, body) = oversized_post(app.addr, "/webhooks/chatwoot/coronel", "", 4 * 1024 * 1024).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&body), "body_too_large");
}

async fn one_orgs_secret_does_not_open_another_org(engine: Engine) {
    let (app, key) = org_with_chatwoot(engine).await;
    let http = http();
    http.post(app.url("/api/v1/admin/orgs"))
        .bearer_auth(&key)
        .json(&json!({"slug": "outra", "name": "Outra"}))
        .send()
        .await
        .unwrap();
    http.put(app.url("/api/v1/admin/orgs/outra/chatwoot"))
        .bearer_auth(&key)
        .json(&json!({"webhook_secret": "segredo-da-outra-loja"}))
        .send()
        .await
        .unwrap();
    let body = fixture("whatsapp_message_created.json");
    let sent = deliver(&app, "outra", &body, "x", Some((SECRET, now_secs(&app)))).await;
    assert_eq!(sent.status, StatusCode::UNAUTHORIZED);
    let sent = deliver(&app, "outra", &body, "x", Some(("segredo-da-outra-loja", now_secs(&app)))).await;
    assert_eq!(sent.status, StatusCode::OK, "no account configured for 'outra': no cross-check");
    assert!(events(&app, &key, "").await.is_empty(), "coronel's inbox is untouched");
}

async fn chatwoot_config_validates_its_fields(engine: Engine) {
    let (app, key) = org_with_chatwoot(engine).await;
    let http = http();
    let put = |body: Value| {
        let http = http.clone();
        let url = app.url("/api/v1/admin/orgs/coronel/chatwoot");
        let key = key.clone();
        async move {
            let res = http.put(url).bearer_auth(key).json(&body).send().await.unwrap();
            (res.status(), json(res).await)
        }
    };
    let (s, b) =
        put(json!({"base_url": "ftp://x", "account_id": 0, "webhook_secret": "curto", "inboxes": {"abc": "whatsapp"}}))
            .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for (field, code) in [
        ("base_url", "url_invalid"),
        ("account_id", "number_invalid"),
        ("webhook_secret", "too_short"),
        ("inboxes", "number_invalid"),
    ] {
        assert_eq!(field_code(&b, field).as_deref(), Some(code), "{field}: {b}");
    }
    let (s, b) = put(json!({"inboxes": {"12": "telegram"}})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_code(&b, "inboxes").as_deref(), Some("source_invalid"));
    let (s, _) = put(json!({"secret": "campo-desconhecido"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused, not silently dropped");
    // A partial update keeps the rest; the secret still verifies deliveries.
    let (s, b) = put(json!({"account_id": 7})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["has_webhook_secret"], true);
    assert_eq!(b["inboxes"]["12"], "whatsapp");
    let sent =
        deliver(&app, "coronel", &fixture("whatsapp_message_created.json"), "d", Some((SECRET, now_secs(&app)))).await;
    assert_eq!(sent.status, StatusCode::OK);
    // The audit says what changed, not the secret.
    let audit = app::domain::store::audit::recent(&app.services.db, None, 20).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "chatwoot.configure"));
    assert!(audit.iter().all(|a| !a.detail.contains(SECRET)));
}

async fn an_accepted_event_survives_a_restart(engine: Engine) {
    let (app, key) = org_with_chatwoot(engine).await;
    let sent =
        deliver(&app, "coronel", &fixture("whatsapp_message_created.json"), "d-1", Some((SECRET, now_secs(&app))))
            .await;
    assert_eq!(sent.status, StatusCode::OK);
    // A new process on the same database sees the event, still pending.
    let mut config = app.config.clone();
    config.bind = "127.0.0.1:0".parse().unwrap();
    let (_stop, rx) = tokio::sync::oneshot::channel::<()>();
    let second = start_server(config, async move {
        let _ = rx.await;
    })
    .await
    .unwrap();
    let res = http()
        .get(format!("http://{}/api/v1/admin/orgs/coronel/events?status=pending", second.addr))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let list = json(res).await["items"].clone();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], sent.body["event_id"]);
}

both_engines!(
    a_signed_message_is_stored_before_the_answer,
    a_redelivery_with_a_new_delivery_id_is_a_duplicate,
    conversation_and_unknown_events_are_accepted,
    bad_deliveries_are_refused_and_nothing_is_stored,
    one_orgs_secret_does_not_open_another_org,
    chatwoot_config_validates_its_fields,
    an_accepted_event_survives_a_restart,
);
