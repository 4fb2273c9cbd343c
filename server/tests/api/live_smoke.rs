//! The smoke tests' live mode: Ponte waits for the test identities' own messages (here
//! delivered as Chatwoot would deliver a real phone's and account's), follows them through
//! the pipeline, and records the three tests; or runs out of time and says what it saw. Bad
//! input, one waiting run per org, cancelling, a run whose process stopped, and roles.

use crate::common::chatwoot::*;
use crate::common::sink::Sink;
use crate::common::*;
use app::model::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const LIVE: &str = "coronel/onboarding/smoke/live";

async fn live(app: &TestApp, key: &str) -> Value {
    let (status, body) = admin_call(app, key, Method::GET, &format!("orgs/{LIVE}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Polls the run until it is no longer waiting.
async fn ended(app: &TestApp, key: &str) -> Value {
    eventually("the live run to end", || async {
        let run = live(app, key).await;
        if run["state"] == "waiting" {
            Err(run)
        } else {
            Ok(run)
        }
    })
    .await
}

/// The item's newest run (from its history).
async fn last_run(app: &TestApp, key: &str, item: &str) -> Option<Value> {
    let (status, runs) =
        admin_call(app, key, Method::GET, &format!("orgs/coronel/onboarding/items/{item}/runs"), None).await;
    assert_eq!(status, StatusCode::OK, "{runs}");
    runs.as_array().unwrap().first().cloned()
}

async fn start(app: &TestApp, key: &str, body: Value) -> (StatusCode, Value) {
    admin_call(app, key, Method::POST, &format!("orgs/{LIVE}"), Some(body)).await
}

async fn a_live_run_waits_for_the_test_identities_and_follows_their_messages(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(2);
        c.smoke_wait_ms = 5_000;
    })
    .await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let sink = Sink::start().await;
    let (status, _) = set_automation(&app, &key, "coronel", json!({"mode": "v2", "v2_url": sink.url})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(live(&app, &key).await, Value::Null, "no run yet");

    // The operator's spellings: a national number, an @ with capitals.
    let (status, run) =
        start(&app, &key, json!({"whatsapp": "(11) 98765-4321", "instagram": "@JoaoPedro.Lima", "wait_minutes": 5}))
            .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    assert_eq!(run["state"], "waiting");
    assert_eq!(run["whatsapp"], "5511987654321");
    assert_eq!(run["instagram"], "@joaopedro.lima");
    let left = run["remaining_seconds"].as_i64().unwrap();
    assert!((295..=300).contains(&left), "a five-minute countdown: {left}");
    assert_eq!(run["deadline_at"].as_i64().unwrap() - run["started_at"].as_i64().unwrap(), 300_000);

    // One waiting run per org.
    let (status, body) = start(&app, &key, json!({"whatsapp": "11987654321"})).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "live_smoke_waiting".into()));

    // Someone else writes first: not the test's message.
    let (status, _) = deliver(&app, "coronel", &wa_message(7001, 8001, "5511911112222"), "d-other").await;
    assert_eq!(status, StatusCode::OK);
    // The test phone writes (Chatwoot without the ninth digit: the same person), then the
    // test account's DM.
    let (status, _) = deliver(&app, "coronel", &wa_message(7002, 8002, "551187654321"), "d-wa").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = deliver(&app, "coronel", &ig_message(7003, 8003, "1789456123098765"), "d-ig").await;
    assert_eq!(status, StatusCode::OK);

    let run = ended(&app, &key).await;
    assert_eq!(run["state"], "passed", "{run}");
    assert_eq!(run["remaining_seconds"], 0);
    assert!(run["whatsapp_event"].is_i64() && run["instagram_event"].is_i64(), "{run}");
    assert!(run["finished_at"].is_i64());
    let wa_event = run["whatsapp_event"].clone();
    let event = event(&app, &key, "coronel", &wa_event).await;
    assert_eq!(event["delivery_id"], "d-wa", "the test phone's message, not the other one: {event}");

    for item in ["smoke_whatsapp", "smoke_instagram"] {
        let r = last_run(&app, &key, item).await.unwrap();
        assert_eq!(r["verdict"], "passed", "{r}");
        for step in
            ["ok:smoke_live_message", "ok:smoke_processed", "ok:smoke_identity", "ok:smoke_deal", "ok:smoke_forwarded"]
        {
            assert!(has(&r, step), "{step}: {r}");
        }
        assert!(has(&r, "warning:smoke_no_n8n_to_watch"), "no n8n API to read executions from: {r}");
    }
    let mv = last_run(&app, &key, "smoke_stage_move").await.unwrap();
    assert!(has(&mv, "ok:smoke_stage_moved"), "{mv}");
    assert!(!has(&mv, "ok:smoke_deals_closed"), "a live run closes nothing: {mv}");
    assert_eq!(sink.accepted().len(), 3, "three messages handed off, the other person's included");

    // Real traffic: the two test people are contacts, their deals stay open.
    let contacts = list(&app, &key, "coronel", "contacts").await;
    assert_eq!(contacts.len(), 3, "{contacts:?}");
    let open = list(&app, &key, "coronel", "deals").await.into_iter().filter(|d| d["status"] == "open").count();
    assert_eq!(open, 3);
    let (_, list) = admin_call(&app, &key, Method::GET, "orgs/coronel/onboarding", None).await;
    let t0 = list["phases"].as_array().unwrap().iter().find(|p| p["phase"] == "t0").unwrap();
    for it in t0["items"].as_array().unwrap().iter().filter(|i| i["kind"] == "smoke") {
        assert_eq!(it["status"], "ok", "{it}");
    }
    let audit = app::domain::store::audit::recent(&app.services.db, None, 100).await.unwrap();
    let started = audit.iter().find(|r| r.action == "smoke.live_start").expect("the start is audited");
    assert!(started.detail.contains("5511987654321") && started.actor.starts_with("api_key:"), "{started:?}");
}

async fn a_live_run_that_hears_nothing_expires_and_says_what_it_saw(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(2);
        c.smoke_wait_ms = 2_000;
    })
    .await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let (status, run) = start(&app, &key, json!({"whatsapp": "+55 11 98765-4321", "wait_minutes": 1})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    // Another customer's message arrives (the webhook works) and a delivery with a wrong
    // signature is refused (what a wrong secret looks like).
    deliver(&app, "coronel", &wa_message(7101, 8101, "5511911112222"), "d-other").await;
    let ts = (app.services.now() / 1000).to_string();
    let res = http()
        .post(app.url("/webhooks/chatwoot/coronel"))
        .header("content-type", "application/json")
        .header("x-chatwoot-timestamp", &ts)
        .header("x-chatwoot-signature", "sha256=00")
        .body(wa_message(7102, 8102, "5511987654321").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The other message is scanned before time runs out.
    until("the other message to be processed", || async { list(&app, &key, "coronel", "contacts").await.len() == 1 })
        .await;
    app.services.clock.advance(61_000);

    let run = ended(&app, &key).await;
    assert_eq!(run["state"], "expired", "{run}");
    assert!(run["whatsapp_event"].is_null());
    let wa = last_run(&app, &key, "smoke_whatsapp").await.unwrap();
    assert_eq!(wa["verdict"], "failed");
    for step in [
        "failed:smoke_live_no_message",
        "warning:smoke_live_other_messages",
        "failed:smoke_live_refused",
        "failed:runbook_no_webhook",
    ] {
        assert!(has(&wa, step), "{step}: {wa}");
    }
    let said = wa["lines"].as_array().unwrap().iter().find(|l| l["note"]["code"] == "smoke_live_no_message").unwrap();
    assert_eq!(said["note"]["params"]["who"], "+5511987654321");
    assert_eq!(said["note"]["params"]["minutes"], "1");
    assert!(last_run(&app, &key, "smoke_instagram").await.is_none(), "not awaited, not run");
    let mv = last_run(&app, &key, "smoke_stage_move").await.unwrap();
    assert!(has(&mv, "failed:smoke_skipped_no_deal"), "{mv}");

    // A new run can start; cancelling ends it and records who.
    let (status, _) = start(&app, &key, json!({"instagram": "17841400000000001"})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, run) = admin_call(&app, &key, Method::DELETE, &format!("orgs/{LIVE}"), None).await;
    assert_eq!((status, run["state"].as_str()), (StatusCode::OK, Some("cancelled")), "{run}");
    let (status, body) = admin_call(&app, &key, Method::DELETE, &format!("orgs/{LIVE}"), None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "run_state_invalid".into()));
    assert!(last_run(&app, &key, "smoke_instagram").await.is_none(), "a cancelled run records nothing");
    let audit = app::domain::store::audit::recent(&app.services.db, None, 100).await.unwrap();
    assert!(audit.iter().any(|r| r.action == "smoke.live_cancel"), "the cancel is audited");

    // A run whose process stopped while waiting: read as expired once its deadline (and
    // the follow-up's time) passed, and it does not block a new run.
    let now = app.services.now();
    exec(
        &app,
        &format!(
            "INSERT INTO live_smoke_runs (organization_id, state, whatsapp, started_by, started_at, deadline_at) \
             SELECT id, 'waiting', '5511987654321', 'ops@ponte', {}, {} FROM organizations WHERE slug = 'coronel'",
            now - 3_600_000,
            now - 600_000
        ),
    )
    .await;
    assert_eq!(live(&app, &key).await["state"], "expired");
    let (status, body) = start(&app, &key, json!({"whatsapp": "11987654321", "wait_minutes": 2})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

async fn live_runs_refuse_bad_input_with_a_reason(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    create_org(&app, &key, "sem-caixas").await;
    let refused = [
        (json!({}), "whatsapp", "live_identity_missing"),
        (json!({"whatsapp": "  ", "instagram": ""}), "whatsapp", "live_identity_missing"),
        (json!({"whatsapp": "123"}), "whatsapp", "number_invalid"),
        (json!({"whatsapp": "(11) abc"}), "whatsapp", "number_invalid"),
        (json!({"instagram": "nome com espaço"}), "instagram", "instagram_handle_invalid"),
        (json!({"instagram": "@"}), "instagram", "instagram_handle_invalid"),
        (json!({"whatsapp": "11987654321", "wait_minutes": 0}), "wait_minutes", "wait_invalid"),
        (json!({"whatsapp": "11987654321", "wait_minutes": 31}), "wait_minutes", "wait_invalid"),
        (json!({"whatsapp": "11987654321", "stage": "x".repeat(500)}), "stage", "too_long"),
    ];
    for (body, field, code) in refused {
        let (status, answer) = start(&app, &key, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field_code(&answer, field).as_deref(), Some(code), "{body}: {answer}");
        assert!(!answer["error"]["message"].as_str().unwrap_or("").is_empty(), "a message: {answer}");
    }
    // Not a JSON shape the API knows.
    let (status, _) = start(&app, &key, json!({"telefone": "11987654321"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = start(&app, &key, json!({"whatsapp": "11987654321", "wait_minutes": "cinco"})).await;
    assert!(status.is_client_error(), "{status}");
    // No inbox of the channel mapped: refused now rather than timing out later.
    let (status, answer) =
        admin_call(&app, &key, Method::POST, "orgs/sem-caixas/onboarding/smoke/live", Some(json!({"instagram": "@x"})))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_code(&answer, "instagram").as_deref(), Some("channel_not_mapped"));
    let (status, _) = admin_call(&app, &key, Method::GET, "orgs/nao-existe/onboarding/smoke/live", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        http().get(app.url(&format!("/api/v1/admin/orgs/{LIVE}"))).send().await.map(|r| (r.status(), ())).unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(live(&app, &key).await, Value::Null, "nothing refused was started");

    // The portal: viewers see the run, operators start and cancel it; the form's text
    // fields get the same refusals.
    let viewer = app.logged_in(Role::Viewer).await;
    let res = app.server_fn(&viewer, "live_smoke_state", &[("slug", "coronel")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.server_fn(&viewer, "start_live_smoke", &[("slug", "coronel"), ("whatsapp", "11987654321")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let operator = app.logged_in(Role::Operator).await;
    let res = app
        .server_fn(
            &operator,
            "start_live_smoke",
            &[("slug", "coronel"), ("whatsapp", "11987654321"), ("wait_minutes", "dez")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_code(&json(res).await, "wait_minutes").as_deref(), Some("wait_invalid"));
    let res = app
        .server_fn(
            &operator,
            "start_live_smoke",
            &[("slug", "coronel"), ("whatsapp", "11987654321"), ("wait_minutes", "2")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = app.page(&viewer, "/orgs/coronel/onboarding").await.text().await.unwrap();
    assert!(html.contains("Teste ao vivo") && html.contains("+5511987654321"), "the waiting run on the page");
    assert!(html.contains("id=\"live-countdown\""), "with its countdown");
    let res = app.server_fn(&viewer, "cancel_live_smoke", &[("slug", "coronel")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.server_fn(&operator, "cancel_live_smoke", &[("slug", "coronel")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(live(&app, &key).await["state"], "cancelled");
}

both_engines!(
    a_live_run_waits_for_the_test_identities_and_follows_their_messages,
    a_live_run_that_hears_nothing_expires_and_says_what_it_saw,
    live_runs_refuse_bad_input_with_a_reason,
);
