//! The T0 smoke tests through the real pipeline: synthetic (Ponte signs) with the real n8n,
//! through the fake Chatwoot's API inbox (Chatwoot signs), and each broken setup failing at
//! the step that names its runbook; synthetic traffic leaves no business trace.

use crate::common::chatwoot::*;
use crate::common::fake_chatwoot::*;
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The admin API, as every test module calls it.
use crate::common::admin_call as call;

async fn smoke(app: &TestApp, key: &str, slug: &str, body: Value) -> Vec<Value> {
    let (status, runs) = call(app, key, Method::POST, &format!("orgs/{slug}/onboarding/smoke"), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{runs}");
    let runs = runs.as_array().unwrap().clone();
    let items: Vec<&str> = runs.iter().map(|r| r["item"].as_str().unwrap()).collect();
    assert_eq!(items, vec!["smoke_whatsapp", "smoke_instagram", "smoke_stage_move"]);
    runs
}

/// The org's contacts as the business sees them (the backfill overview's count) and as
/// stored (every contact, synthetic ones included).
async fn contact_counts(app: &TestApp, key: &str, slug: &str) -> (i64, usize) {
    let (_, overview) = call(app, key, Method::GET, "backfill", None).await;
    let business =
        overview.as_array().unwrap().iter().find(|o| o["slug"] == slug).unwrap()["contacts"].as_i64().unwrap();
    (business, list(app, key, slug, "contacts").await.len())
}

async fn synthetic_smoke_tests_pass_with_the_real_n8n_and_leave_no_business_trace(engine: Engine) {
    let n8n_url = std::env::var("PONTE_TEST_N8N_URL").expect("PONTE_TEST_N8N_URL is not set: run scripts/test.sh");
    let n8n_key = std::env::var("PONTE_TEST_N8N_API_KEY").expect("PONTE_TEST_N8N_API_KEY is not set");
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(2)).await;
    let key = app.admin_key().await;
    let slug = format!("smoke-{}", &app::domain::auth::random_token()[..8]);
    setup_org(&app, &key, &slug).await;
    let (status, body) = call(
        &app,
        &key,
        Method::PUT,
        &format!("orgs/{slug}/n8n"),
        Some(json!({"base_url": n8n_url, "api_key": n8n_key})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        call(&app, &key, Method::POST, &format!("orgs/{slug}/automation/install"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The workflow imported but not active: n8n refuses the hand-off; the run says where.
    let (status, _) = set_automation(&app, &key, &slug, json!({"mode": "v2"})).await;
    assert_eq!(status, StatusCode::OK);
    let runs = smoke(&app, &key, &slug, json!({})).await;
    let wa = &runs[0];
    assert_eq!(wa["verdict"], "failed", "{wa}");
    for step in ["ok:smoke_webhook_accepted", "ok:smoke_processed", "ok:smoke_identity", "ok:smoke_deal"] {
        assert!(has(wa, step), "{step}: {wa}");
    }
    assert!(has(wa, "failed:forward_refused") && has(wa, "failed:runbook_no_forward"), "{wa}");

    let (status, _) =
        call(&app, &key, Method::POST, &format!("orgs/{slug}/automation/roll-forward"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    let runs = smoke(&app, &key, &slug, json!({"mode": "synthetic"})).await;
    for run in &runs {
        assert_eq!(run["verdict"], "passed", "{run}");
    }
    for run in &runs[..2] {
        for step in [
            "ok:smoke_webhook_accepted",
            "ok:smoke_processed",
            "ok:smoke_identity",
            "ok:smoke_deal",
            "ok:smoke_forwarded",
            "ok:smoke_n8n_execution",
        ] {
            assert!(has(run, step), "{step}: {run}");
        }
        let targets: Vec<&str> =
            run["calls"].as_array().unwrap().iter().map(|c| c["target"].as_str().unwrap()).collect();
        assert_eq!(targets.first(), Some(&"ponte"), "through the public URL first: {targets:?}");
        assert!(targets.contains(&"n8n"), "the execution read from n8n's API: {targets:?}");
    }
    let session = runs[0]["lines"].as_array().unwrap().iter().find(|l| l["note"]["code"] == "smoke_identity").unwrap()
        ["note"]["params"]["session"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(session.starts_with("whatsapp:55119000"), "a number of the reserved block: {session}");
    let ig_session =
        &runs[1]["lines"].as_array().unwrap().iter().find(|l| l["note"]["code"] == "smoke_identity").unwrap()["note"]
            ["params"]["session"];
    assert!(ig_session.as_str().unwrap().starts_with("instagram:"), "{ig_session}");
    assert!(has(&runs[2], "ok:smoke_stage_moved") && has(&runs[2], "ok:smoke_deals_closed"), "{}", runs[2]);

    // Each test reads its own execution, also in a run right after this one (both messages
    // of a run hand off within the same second; a time window alone took the first's twice).
    let execution = |run: &Value| {
        run["lines"].as_array().unwrap().iter().find(|l| l["note"]["code"] == "smoke_n8n_execution").unwrap()["note"]
            ["params"]["execution"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let again = smoke(&app, &key, &slug, json!({"mode": "synthetic"})).await;
    assert!(again.iter().all(|r| r["verdict"] == "passed"), "{again:?}");
    let mut ids: Vec<String> = runs[..2].iter().chain(&again[..2]).map(execution).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "four messages, four executions: {ids:?}");
    // The checklist took the verdicts.
    let (_, list) = call(&app, &key, Method::GET, &format!("orgs/{slug}/onboarding"), None).await;
    let t0 = list["phases"].as_array().unwrap().iter().find(|p| p["phase"] == "t0").unwrap();
    for it in t0["items"].as_array().unwrap().iter().filter(|i| i["kind"] == "smoke") {
        assert_eq!(it["status"], "ok", "{it}");
    }
    // No business trace: test deals closed, test contacts out of the counts, the run's
    // tokens revoked.
    let open: Vec<Value> =
        list_all_deals(&app, &key, &slug).await.into_iter().filter(|d| d["status"] == "open").collect();
    assert!(open.is_empty(), "test deals are closed: {open:?}");
    let (business, stored) = contact_counts(&app, &key, &slug).await;
    assert_eq!(business, 0);
    assert_eq!(stored, 6, "three runs of two synthetic people each are stored, marked");
    let (_, tokens) = call(&app, &key, Method::GET, &format!("orgs/{slug}/tokens"), None).await;
    let smoke_tokens: Vec<&Value> = tokens
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"].as_str().unwrap().starts_with("teste de fumaça"))
        .collect();
    assert_eq!(smoke_tokens.len(), 3, "one token per run");
    assert!(smoke_tokens.iter().all(|t| t["revoked_at"].is_i64()), "{smoke_tokens:?}");

    // Leave the shared n8n as found.
    call(
        &app,
        &key,
        Method::POST,
        &format!("orgs/{slug}/automation/rollback"),
        Some(json!({"reason": "fim do teste"})),
    )
    .await;
}

async fn list_all_deals(app: &TestApp, key: &str, slug: &str) -> Vec<Value> {
    list(app, key, slug, "deals").await
}

async fn each_broken_setup_fails_at_the_step_that_names_its_runbook(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(2);
        c.smoke_wait_ms = 3_000;
    })
    .await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;

    // Bad input.
    let (status, body) =
        call(&app, &key, Method::POST, "orgs/coronel/onboarding/smoke", Some(json!({"mode": "magico"}))).await;
    assert_eq!((status, field_code(&body, "mode")), (StatusCode::UNPROCESSABLE_ENTITY, Some("mode_invalid".into())));
    let (status, _) = call(&app, &key, Method::POST, "orgs/nao-existe/onboarding/smoke", Some(json!({}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) =
        call(&app, &key, Method::POST, "orgs/coronel/onboarding/smoke", Some(json!({"modo": "x"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // No automation: contact and deal made, the hand-off missing; the stage move still runs.
    let runs = smoke(&app, &key, "coronel", json!({})).await;
    assert!(has(&runs[0], "ok:smoke_deal") && has(&runs[0], "failed:runbook_no_forward"), "{}", runs[0]);
    assert!(has(&runs[0], "failed:automation_not_configured"), "the pipeline's own reason: {}", runs[0]);
    assert_eq!(runs[2]["verdict"], "passed", "{}", runs[2]);

    // A stage the board does not have: the tool's 422 with the valid stages, runbook 7.2.
    let runs = smoke(&app, &key, "coronel", json!({"stage": "pagamento"})).await;
    let mv = &runs[2];
    assert!(has(mv, "failed:smoke_stage_not_moved") && has(mv, "failed:runbook_stage_not_moved"), "{mv}");
    let said = mv["lines"].as_array().unwrap().iter().find(|l| l["note"]["code"] == "smoke_stage_not_moved").unwrap()
        ["note"]["params"]
        .clone();
    assert_eq!(said["status"], "422");
    assert!(said["reason"].as_str().unwrap().contains("em-atendimento"), "the valid stages named: {said}");

    // No board for deals: the deal step fails, runbook 7.1; the stage move has nothing to move.
    exec(&app, "UPDATE boards SET is_default = FALSE").await;
    let runs = smoke(&app, &key, "coronel", json!({})).await;
    assert!(has(&runs[0], "failed:smoke_no_deal") && has(&runs[0], "failed:runbook_no_deal"), "{}", runs[0]);
    assert!(has(&runs[2], "failed:smoke_skipped_no_deal"), "{}", runs[2]);
    exec(&app, "UPDATE boards SET is_default = TRUE").await;

    // No webhook secret: nothing can be signed, runbook 7.1 (no webhook).
    let (status, _) = call(&app, &key, Method::PUT, "orgs/coronel/chatwoot", Some(json!({"webhook_secret": ""}))).await;
    assert_eq!(status, StatusCode::OK);
    let runs = smoke(&app, &key, "coronel", json!({})).await;
    assert!(has(&runs[0], "failed:smoke_needs_signature") && has(&runs[0], "failed:runbook_no_webhook"), "{}", runs[0]);

    // An Instagram inbox missing from the map.
    call(
        &app,
        &key,
        Method::PUT,
        "orgs/coronel/chatwoot",
        Some(json!({"webhook_secret": SECRET, "inboxes": {"12": "whatsapp"}})),
    )
    .await;
    let runs = smoke(&app, &key, "coronel", json!({})).await;
    assert!(has(&runs[1], "failed:smoke_no_inbox"), "{}", runs[1]);

    let (business, stored) = contact_counts(&app, &key, "coronel").await;
    assert_eq!(business, 0, "synthetic contacts never count ({stored} stored)");
}

async fn a_smoke_test_through_chatwoots_api_inbox_is_signed_by_chatwoot(engine: Engine) {
    let fake = FakeChatwoot::start().await;
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(2);
        c.smoke_wait_ms = 3_000;
    })
    .await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    let (status, _) = call(
        &app,
        &key,
        Method::PUT,
        "orgs/coronel/chatwoot",
        Some(json!({"base_url": fake.base, "account_id": ACCOUNT, "api_token": ADMIN_TOKEN,
            "inboxes": {"12": "whatsapp", "13": "instagram", API_INBOX.to_string(): "whatsapp"}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, run) =
        call(&app, &key, Method::POST, "orgs/coronel/onboarding/items/chatwoot_webhook/check", None).await;
    assert_eq!((status, run["verdict"].as_str()), (StatusCode::OK, Some("passed")), "{run}");

    let runs = smoke(&app, &key, "coronel", json!({"mode": "chatwoot_api"})).await;
    let wa = &runs[0];
    for step in ["ok:smoke_chatwoot_message", "ok:smoke_webhook_accepted", "ok:smoke_identity", "ok:smoke_deal"] {
        assert!(has(wa, step), "{step}: {wa}");
    }
    assert!(has(wa, "failed:runbook_no_forward"), "no automation configured: {wa}");
    let paths: Vec<&str> = wa["calls"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert!(
        paths.iter().any(|p| p.ends_with("/contacts")) && paths.iter().any(|p| p.ends_with("/messages")),
        "{paths:?}"
    );
    assert!(has(&runs[1], "warning:smoke_no_api_inbox") && has(&runs[1], "ok:smoke_identity"), "{}", runs[1]);
    // The contact Chatwoot's webhook created is marked synthetic by its identifier.
    let (business, stored) = contact_counts(&app, &key, "coronel").await;
    assert_eq!((business, stored), (0, 2));

    // The org's secret is not Chatwoot's: Chatwoot's webhook is refused, runbook 7.1.
    let (status, _) =
        call(&app, &key, Method::PUT, "orgs/coronel/chatwoot", Some(json!({"webhook_secret": "segredo-errado-123"})))
            .await;
    assert_eq!(status, StatusCode::OK);
    let runs = smoke(&app, &key, "coronel", json!({"mode": "chatwoot_api"})).await;
    assert!(has(&runs[0], "ok:smoke_chatwoot_message"), "{}", runs[0]);
    assert!(has(&runs[0], "failed:smoke_no_webhook") && has(&runs[0], "failed:runbook_no_webhook"), "{}", runs[0]);
}

both_engines!(
    synthetic_smoke_tests_pass_with_the_real_n8n_and_leave_no_business_trace,
    each_broken_setup_fails_at_the_step_that_names_its_runbook,
    a_smoke_test_through_chatwoots_api_inbox_is_signed_by_chatwoot,
);
