//! Onboarding: the org lifecycle (moves, phases that must be complete, forcing, rollback and
//! roll-forward), marking checklist items, and every live check against the faithful fake
//! Chatwoot and the real n8n of the test setup.

use crate::common::chatwoot::*;
use crate::common::fake_chatwoot::*;
use crate::common::*;
use app::model::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

async fn call(app: &TestApp, key: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = http().request(method, app.url(&format!("/api/v1/admin/orgs/{path}"))).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, json(res).await)
}

async fn state(app: &TestApp, key: &str, slug: &str, body: Value) -> (StatusCode, Value) {
    call(app, key, Method::PUT, &format!("{slug}/onboarding/state"), Some(body)).await
}

async fn mark(app: &TestApp, key: &str, slug: &str, item: &str, body: Value) -> (StatusCode, Value) {
    call(app, key, Method::PUT, &format!("{slug}/onboarding/items/{item}"), Some(body)).await
}

async fn check(app: &TestApp, key: &str, slug: &str, item: &str) -> Value {
    let (status, run) = call(app, key, Method::POST, &format!("{slug}/onboarding/items/{item}/check"), None).await;
    assert_eq!(status, StatusCode::OK, "{item}: {run}");
    run
}

async fn checklist(app: &TestApp, key: &str, slug: &str) -> Value {
    let (status, list) = call(app, key, Method::GET, &format!("{slug}/onboarding"), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list
}

fn item<'a>(list: &'a Value, key: &str) -> &'a Value {
    list["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap())
        .find(|i| i["key"] == key)
        .unwrap()
}

fn phase<'a>(list: &'a Value, key: &str) -> &'a Value {
    list["phases"].as_array().unwrap().iter().find(|p| p["phase"] == key).unwrap()
}

/// The org's Chatwoot pointed at the fake: account, token, every WhatsApp and Instagram
/// inbox mapped (the API inbox as WhatsApp, as a bridge would feed it).
async fn connect_fake(app: &TestApp, key: &str, slug: &str, fake: &FakeChatwoot, token: &str, inboxes: Value) {
    let (status, body) = call(
        app,
        key,
        Method::PUT,
        &format!("{slug}/chatwoot"),
        Some(json!({"base_url": fake.base, "account_id": ACCOUNT, "api_token": token, "inboxes": inboxes})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn all_inboxes() -> Value {
    json!({"12": "whatsapp", "13": "instagram", "14": "whatsapp", "17": "whatsapp"})
}

async fn a_new_org_is_a_draft_and_moves_only_along_its_lifecycle(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;

    let list = checklist(&app, &key, "coronel").await;
    assert_eq!(list["lifecycle"], "draft");
    assert_eq!(list["next"], json!(["pre_activation"]));
    let sizes: Vec<(String, u64)> = list["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["phase"].as_str().unwrap().to_string(), p["total"].as_u64().unwrap()))
        .collect();
    assert_eq!(sizes, vec![("t_minus_2".into(), 5), ("t0".into(), 5), ("t_plus_1".into(), 3)]);
    assert!(list["phases"].as_array().unwrap().iter().all(|p| p["complete"] == false && p["done"] == 0));
    assert_eq!(item(&list, "chatwoot_webhook")["check_changes_data"], true);
    assert_eq!(item(&list, "smoke_whatsapp")["kind"], "smoke");

    // Bad input: each a clear 4xx.
    let (status, body) = state(&app, &key, "coronel", json!({"state": "ativo"})).await;
    assert_eq!(
        (status, field_code(&body, "state")),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lifecycle_invalid".into()))
    );
    let (status, body) = state(&app, &key, "coronel", json!({"state": "pre_activation", "why": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = state(&app, &key, "nao-existe", json!({"state": "pre_activation"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = state(&app, &key, "coronel", json!({"state": "rolled_back"})).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "transition_invalid"));
    assert_eq!(body["error"]["details"]["allowed"], json!(["pre_activation"]));
    let (status, body) = state(&app, &key, "coronel", json!({"state": "active"})).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "transition_invalid"), "no skipping");

    let (status, body) = state(&app, &key, "coronel", json!({"state": "pre_activation", "reason": "T-2 hoje"})).await;
    assert_eq!((status, body["lifecycle"].as_str()), (StatusCode::OK, Some("pre_activation")), "{body}");
    // Asking again changes nothing and records nothing.
    let (status, _) = state(&app, &key, "coronel", json!({"state": "pre_activation"})).await;
    assert_eq!(status, StatusCode::OK);

    // Activation needs T-2 complete: refused naming every item left.
    let (status, body) = state(&app, &key, "coronel", json!({"state": "activation"})).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "phase_incomplete"), "{body}");
    assert_eq!(body["error"]["details"]["phase"], "t_minus_2");
    assert_eq!(body["error"]["details"]["items"].as_array().unwrap().len(), 5);
    // Forcing needs a written reason.
    let (status, body) = state(&app, &key, "coronel", json!({"state": "activation", "force": true})).await;
    assert_eq!((status, field_code(&body, "reason")), (StatusCode::UNPROCESSABLE_ENTITY, Some("required".into())));
    let (status, body) = state(
        &app,
        &key,
        "coronel",
        json!({"state": "activation", "force": true, "reason": "cliente aceitou o risco por escrito"}),
    )
    .await;
    assert_eq!((status, body["lifecycle"].as_str()), (StatusCode::OK, Some("activation")), "{body}");

    // Going back never needs a phase.
    let (status, body) =
        state(&app, &key, "coronel", json!({"state": "pre_activation", "reason": "refazer T-2"})).await;
    assert_eq!((status, body["lifecycle"].as_str()), (StatusCode::OK, Some("pre_activation")));

    let (status, history) = call(&app, &key, Method::GET, "coronel/onboarding/history", None).await;
    assert_eq!(status, StatusCode::OK);
    let moves: Vec<(String, String, bool)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["from"].as_str().unwrap().into(), h["to"].as_str().unwrap().into(), h["forced"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        moves,
        vec![
            ("activation".into(), "pre_activation".into(), false),
            ("pre_activation".into(), "activation".into(), true),
            ("draft".into(), "pre_activation".into(), false),
        ],
        "newest first, the repeated ask not recorded"
    );
    assert_eq!(history[1]["reason"], "cliente aceitou o risco por escrito");
    assert!(history[0]["actor"].as_str().unwrap().starts_with("api_key:"));

    // The org list shows the state.
    let orgs = json(http().get(app.url("/api/v1/admin/orgs")).bearer_auth(&key).send().await.unwrap()).await;
    assert_eq!(orgs[0]["lifecycle"], "pre_activation");
    assert_eq!(orgs[0]["archived"], false);
}

async fn items_are_marked_with_notes_and_a_complete_phase_opens_the_next_state(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    state(&app, &key, "coronel", json!({"state": "pre_activation"})).await;

    // Bad input.
    let (status, body) = mark(&app, &key, "coronel", "chatwoot_account", json!({"status": "feito"})).await;
    assert_eq!(
        (status, field_code(&body, "status")),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("status_invalid".into()))
    );
    let (status, _) = mark(&app, &key, "coronel", "nao_existe", json!({"status": "ok"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) =
        mark(&app, &key, "coronel", "chatwoot_account", json!({"status": "ok", "note": "x".repeat(2001)})).await;
    assert_eq!((status, field_code(&body, "note")), (StatusCode::UNPROCESSABLE_ENTITY, Some("too_long".into())));
    // "Not applicable" and an "ok" without a passed check need a note.
    let (status, body) = mark(&app, &key, "coronel", "n8n_credentials", json!({"status": "not_applicable"})).await;
    assert_eq!((status, field_code(&body, "note")), (StatusCode::UNPROCESSABLE_ENTITY, Some("required".into())));
    let (status, body) = mark(&app, &key, "coronel", "chatwoot_account", json!({"status": "ok", "note": "  "})).await;
    assert_eq!((status, field_code(&body, "note")), (StatusCode::UNPROCESSABLE_ENTITY, Some("required".into())));
    // A check-less item cannot be "Verificar"-ed.
    let (status, body) = call(&app, &key, Method::POST, "coronel/onboarding/items/smoke_whatsapp/check", None).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "no_automatic_check"));
    let (status, _) = call(&app, &key, Method::POST, "coronel/onboarding/phases/t9/check", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = mark(
        &app,
        &key,
        "coronel",
        "n8n_credentials",
        json!({"status": "not_applicable", "note": "cliente sem n8n próprio\nusa o compartilhado"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["note"].as_str()),
        (Some("not_applicable"), Some("cliente sem n8n próprio\nusa o compartilhado"))
    );
    assert!(body["updated_by"].as_str().unwrap().starts_with("api_key:"));
    for it in ["chatwoot_account", "chatwoot_inboxes", "chatwoot_webhook", "board_stages"] {
        let (status, body) =
            mark(&app, &key, "coronel", it, json!({"status": "ok", "note": "conferido na tela do Chatwoot"})).await;
        assert_eq!(status, StatusCode::OK, "{it}: {body}");
    }
    let list = checklist(&app, &key, "coronel").await;
    let t2 = phase(&list, "t_minus_2");
    assert_eq!((t2["complete"].as_bool(), t2["done"].as_u64()), (Some(true), Some(5)));
    let (status, body) = state(&app, &key, "coronel", json!({"state": "activation"})).await;
    assert_eq!((status, body["lifecycle"].as_str()), (StatusCode::OK, Some("activation")), "{body}");
    // A failed item makes the phase incomplete again (the state stays: it is history).
    mark(&app, &key, "coronel", "board_stages", json!({"status": "failed", "note": "etapa renomeada"})).await;
    let list = checklist(&app, &key, "coronel").await;
    assert_eq!(phase(&list, "t_minus_2")["complete"], false);
    assert_eq!(list["lifecycle"], "activation");
    // Review items need no note for ok.
    let (status, _) = mark(&app, &key, "coronel", "logs_audited", json!({"status": "ok"})).await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_rollback_takes_a_live_org_to_rolled_back(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let (status, _) =
        set_automation(&app, &key, "coronel", json!({"mode": "v2", "v2_url": "http://127.0.0.1:9/webhook/v2"})).await;
    assert_eq!(status, StatusCode::OK);
    // A draft testing its automation keeps its state on a rollback.
    let (status, _) =
        call(&app, &key, Method::POST, "coronel/automation/rollback", Some(json!({"reason": "teste"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(checklist(&app, &key, "coronel").await["lifecycle"], "draft");

    set_automation(&app, &key, "coronel", json!({"mode": "v2"})).await;
    state(&app, &key, "coronel", json!({"state": "pre_activation"})).await;
    state(&app, &key, "coronel", json!({"state": "activation", "force": true, "reason": "piloto"})).await;
    let (status, body) =
        state(&app, &key, "coronel", json!({"state": "pilot", "force": true, "reason": "piloto"})).await;
    assert_eq!((status, body["lifecycle"].as_str()), (StatusCode::OK, Some("pilot")), "{body}");
    assert!(body["activated_at"].is_i64(), "going live stamps the activation");
    let (status, _) =
        call(&app, &key, Method::POST, "coronel/automation/rollback", Some(json!({"reason": "DMs sem contato"}))).await;
    assert_eq!(status, StatusCode::OK);
    let list = checklist(&app, &key, "coronel").await;
    assert_eq!(list["lifecycle"], "rolled_back");
    assert_eq!(list["next"], json!([]), "only a roll-forward leaves rolled_back");
    let (status, body) = state(&app, &key, "coronel", json!({"state": "active", "force": true, "reason": "x"})).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "transition_invalid"));
    let (_, history) = call(&app, &key, Method::GET, "coronel/onboarding/history", None).await;
    assert_eq!((history[0]["from"].as_str(), history[0]["to"].as_str()), (Some("pilot"), Some("rolled_back")));
    assert_eq!(history[0]["reason"], "DMs sem contato");
}

async fn only_admins_force_and_viewers_only_read_in_the_portal(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    state(&app, &key, "coronel", json!({"state": "pre_activation"})).await;
    let operator = app.logged_in(Role::Operator).await;
    let res = app
        .server_fn(
            &operator,
            "change_org_state",
            &[("slug", "coronel"), ("state", "activation"), ("reason", "já"), ("force", "on")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(&json(res).await), "force_needs_admin");
    let res =
        app.server_fn(&operator, "mark_item", &[("slug", "coronel"), ("item", "logs_audited"), ("status", "ok")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let viewer = app.logged_in(Role::Viewer).await;
    let res = app
        .server_fn(&viewer, "mark_item", &[("slug", "coronel"), ("item", "logs_audited"), ("status", "failed")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.server_fn(&viewer, "run_item_check", &[("slug", "coronel"), ("item", "board_stages")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.server_fn(&viewer, "onboarding_page", &[("slug", "coronel")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = json(res).await;
    assert_eq!(item(&page["checklist"], "logs_audited")["status"], "ok");
    let admin = app.logged_in(Role::Admin).await;
    let res = app
        .server_fn(
            &admin,
            "change_org_state",
            &[("slug", "coronel"), ("state", "activation"), ("reason", "risco aceito"), ("force", "on")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json(res).await["lifecycle"], "activation");
    // The page renders for a viewer, with the state and every phase.
    let html = app.page(&viewer, "/orgs/coronel/onboarding").await.text().await.unwrap();
    assert!(html.contains("id=\"lifecycle-state\"") && html.contains("data-state=\"activation\""));
    for p in ["phase-t_minus_2", "phase-t0", "phase-t_plus_1"] {
        assert!(html.contains(p), "{p} on the page");
    }
    assert!(!html.contains("class=\"verify\""), "no Verificar for viewers");
}

async fn t_minus_2_checks_pass_against_a_well_configured_chatwoot(engine: Engine) {
    let fake = FakeChatwoot::start().await;
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(2)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    connect_fake(&app, &key, "coronel", &fake, ADMIN_TOKEN, all_inboxes()).await;

    let run = check(&app, &key, "coronel", "chatwoot_account").await;
    assert_eq!(run["verdict"], "passed", "{run}");
    assert!(has(&run, "ok:check_token_user") && has(&run, "ok:check_administrator"), "{run}");
    assert_eq!(run["calls"][0]["path"], "/api/v1/profile");
    assert_eq!(run["calls"][0]["status"], 200);
    assert!(!run.to_string().contains(ADMIN_TOKEN), "the token is never in a run");

    let run = check(&app, &key, "coronel", "chatwoot_inboxes").await;
    assert_eq!(run["verdict"], "passed", "{run}");
    assert_eq!(findings(&run).iter().filter(|f| *f == "ok:check_inbox_mapped").count(), 4);

    // The webhook: registered in Chatwoot, its secret taken (sealed), a probe through the
    // public URL stored as a probe; the public URL here is loopback, which is said.
    assert!(fake.webhooks().is_empty());
    let run = check(&app, &key, "coronel", "chatwoot_webhook").await;
    assert_eq!(run["verdict"], "passed", "{run}");
    assert!(has(&run, "ok:check_webhook_registered"), "{run}");
    assert!(has(&run, "ok:check_secret_saved") && has(&run, "ok:check_probe_stored"), "{run}");
    assert!(has(&run, "warning:check_public_url_private"), "{run}");
    let hooks = fake.webhooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["url"], app.url("/webhooks/chatwoot/coronel"));
    let secret = hooks[0]["secret"].as_str().unwrap().to_string();
    let cfg =
        json(http().get(app.url("/api/v1/admin/orgs/coronel/chatwoot")).bearer_auth(&key).send().await.unwrap()).await;
    assert_eq!(cfg["has_webhook_secret"], true);
    assert!(!cfg.to_string().contains(&secret), "the secret is never read back");
    let targets: Vec<&str> = run["calls"].as_array().unwrap().iter().map(|c| c["target"].as_str().unwrap()).collect();
    assert_eq!(targets.last(), Some(&"ponte"), "the probe went through the public URL: {targets:?}");
    let events = list(&app, &key, "coronel", "events").await;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0]["event"].as_str(), events[0]["status"].as_str()), (Some("ponte_probe"), Some("ignored")));

    // Run again: found, not duplicated; a second probe is stored again.
    let run = check(&app, &key, "coronel", "chatwoot_webhook").await;
    assert!(has(&run, "ok:check_webhook_found") && !has(&run, "ok:check_secret_saved"), "{run}");
    assert_eq!(fake.webhooks().len(), 1);

    // The webhook Chatwoot now holds reaches Ponte, signed with its own secret.
    let res = http()
        .post(format!("{}/api/v1/accounts/{ACCOUNT}/conversations/{API_CONVERSATION}/messages", fake.base))
        .header("api_access_token", ADMIN_TOKEN)
        .json(&json!({"content": "Oi, é um teste", "message_type": "incoming"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    until("the fake's signed message_created is accepted with the secret the check took", || async {
        list(&app, &key, "coronel", "events").await.iter().any(|e| e["event"] == "message_created")
    })
    .await;

    let run = check(&app, &key, "coronel", "board_stages").await;
    assert_eq!(run["verdict"], "passed", "{run}");
    assert!(has(&run, "ok:check_board"));

    let list = checklist(&app, &key, "coronel").await;
    for it in ["chatwoot_account", "chatwoot_inboxes", "chatwoot_webhook", "board_stages"] {
        assert_eq!(item(&list, it)["status"], "ok", "{it}");
        assert!(item(&list, it)["updated_by"].as_str().unwrap().starts_with("api_key:"));
    }
    assert_eq!(item(&list, "chatwoot_webhook")["runs"], 2);
    assert_eq!(item(&list, "chatwoot_webhook")["last_run"]["verdict"], "passed");
    let (status, runs) = call(&app, &key, Method::GET, "coronel/onboarding/items/chatwoot_webhook/runs", None).await;
    assert_eq!((status, runs.as_array().unwrap().len()), (StatusCode::OK, 2));
    assert!(runs[0]["id"].as_i64() > runs[1]["id"].as_i64(), "newest first");
}

async fn t_minus_2_checks_name_what_is_wrong(engine: Engine) {
    let mut fake = FakeChatwoot::start().await;
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(0);
        c.check_timeout_ms = 300;
    })
    .await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;

    // Nothing configured yet.
    let run = check(&app, &key, "coronel", "chatwoot_account").await;
    assert_eq!(run["verdict"], "failed");
    assert!(has(&run, "failed:check_chatwoot_not_configured"), "{run}");
    assert_eq!(
        check(&app, &key, "coronel", "n8n_credentials").await["lines"][0]["note"]["code"],
        "check_n8n_not_configured"
    );
    assert_eq!(item(&checklist(&app, &key, "coronel").await, "chatwoot_account")["status"], "failed");

    // A wrong token: 401 Invalid Access Token.
    connect_fake(&app, &key, "coronel", &fake, "not-a-token", all_inboxes()).await;
    let run = check(&app, &key, "coronel", "chatwoot_account").await;
    assert!(has(&run, "failed:chatwoot_bad_token"), "{run}");
    assert_eq!(run["calls"][0]["status"], 401);

    // An agent's token: reads, but is not an administrator; the webhook API says so.
    connect_fake(&app, &key, "coronel", &fake, AGENT_TOKEN, all_inboxes()).await;
    let run = check(&app, &key, "coronel", "chatwoot_account").await;
    assert!(has(&run, "failed:check_role_not_admin"), "{run}");
    let run = check(&app, &key, "coronel", "chatwoot_webhook").await;
    assert!(has(&run, "failed:chatwoot_not_administrator"), "{run}");
    assert!(fake.webhooks().is_empty());

    // Inboxes: one WhatsApp inbox left out of the map, one mapped that does not exist, one
    // mapped as the wrong channel; each named.
    connect_fake(
        &app,
        &key,
        "coronel",
        &fake,
        ADMIN_TOKEN,
        json!({"12": "whatsapp", "13": "whatsapp", "99": "instagram"}),
    )
    .await;
    let run = check(&app, &key, "coronel", "chatwoot_inboxes").await;
    assert_eq!(run["verdict"], "failed");
    let lines = run["lines"].as_array().unwrap();
    let named = |code: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l["note"]["code"] == code)
            .map(|l| l["note"]["params"]["inbox"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(named("check_inbox_unmapped"), vec!["17"], "the Twilio WhatsApp inbox is unmapped: {run}");
    assert_eq!(named("check_inbox_channel_mismatch"), vec!["13"]);
    assert_eq!(named("check_inbox_missing"), vec!["99"]);
    assert!(
        lines.iter().any(|l| l["note"]["message"].as_str().unwrap().contains("WhatsApp Twilio")),
        "named by its name too"
    );
    // The T0 Instagram item fails while no Instagram inbox is mapped.
    let run = check(&app, &key, "coronel", "instagram_channel").await;
    assert!(has(&run, "failed:check_no_instagram_mapped"), "{run}");

    // The account is missing: 404.
    let (status, _) =
        call(&app, &key, Method::PUT, "coronel/chatwoot", Some(json!({"account_id": 99, "inboxes": all_inboxes()})))
            .await;
    assert_eq!(status, StatusCode::OK);
    let run = check(&app, &key, "coronel", "chatwoot_inboxes").await;
    assert!(has(&run, "failed:chatwoot_not_found"), "{run}");
    let run = check(&app, &key, "coronel", "chatwoot_account").await;
    assert!(has(&run, "failed:check_account_not_in_profile"), "{run}");
    call(&app, &key, Method::PUT, "coronel/chatwoot", Some(json!({"account_id": ACCOUNT}))).await;

    // The board lacks a stage the template now has.
    let res = http()
        .put(app.url("/api/v1/admin/stage-template"))
        .bearer_auth(&key)
        .json(&json!({"stages": ["Novo contato", "Em atendimento", "Proposta", "Pagamento", "Fechado"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let run = check(&app, &key, "coronel", "board_stages").await;
    assert_eq!(run["verdict"], "failed");
    let missing: Vec<&str> = run["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["note"]["code"] == "check_stage_missing")
        .map(|l| l["note"]["params"]["stage"].as_str().unwrap())
        .collect();
    assert_eq!(missing, vec!["Pagamento"]);

    // Slow: the call times out, quickly and said so.
    fake.set_delay(Duration::from_millis(1500));
    let run = check(&app, &key, "coronel", "chatwoot_account").await;
    assert!(has(&run, "failed:chatwoot_timeout"), "{run}");
    assert!(run["calls"][0]["status"].is_null());
    assert!(run["duration_ms"].as_i64().unwrap() < 1400, "{run}");

    // Gone: connection refused.
    fake.stop();
    until("the fake stops listening", || async {
        check(&app, &key, "coronel", "chatwoot_account").await["lines"][0]["note"]["code"] == "chatwoot_unreachable"
    })
    .await;
}

async fn the_checks_of_a_whole_phase_run_in_order(engine: Engine) {
    let fake = FakeChatwoot::start().await;
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    connect_fake(&app, &key, "coronel", &fake, ADMIN_TOKEN, all_inboxes()).await;
    let (status, runs) = call(&app, &key, Method::POST, "coronel/onboarding/phases/t_minus_2/check", None).await;
    assert_eq!(status, StatusCode::OK, "{runs}");
    let order: Vec<(&str, &str)> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["item"].as_str().unwrap(), r["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        vec![
            ("chatwoot_account", "passed"),
            ("chatwoot_inboxes", "passed"),
            ("chatwoot_webhook", "passed"),
            ("board_stages", "passed"),
            ("n8n_credentials", "failed"),
        ]
    );
    let list = checklist(&app, &key, "coronel").await;
    assert_eq!(phase(&list, "t_minus_2")["done"], 4);
    // T0 after the webhook is in place: the Instagram inbox mapped and subscribed.
    let run = check(&app, &key, "coronel", "instagram_channel").await;
    assert_eq!(run["verdict"], "passed", "{run}");
    assert!(has(&run, "ok:check_webhook_subscribed"));
    assert_eq!(check(&app, &key, "coronel", "v2_workflow").await["verdict"], "failed");
}

/// The n8n items against the real n8n: a wrong key fails, the org's key passes, the v2
/// workflow fails until activated (roll-forward) and passes after; a rollback then takes
/// the live org to rolled_back and the roll-forward brings it back where it was.
async fn n8n_checks_and_the_lifecycle_through_rollback_and_roll_forward(engine: Engine) {
    let (n8n_url, n8n_key) = (
        std::env::var("PONTE_TEST_N8N_URL")
            .expect("PONTE_TEST_N8N_URL is not set: run the tests through scripts/test.sh"),
        std::env::var("PONTE_TEST_N8N_API_KEY").expect("PONTE_TEST_N8N_API_KEY is not set"),
    );
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    let slug = format!("onb-{}", &app::domain::auth::random_token()[..8]);
    setup_org(&app, &key, &slug).await;
    let (status, body) =
        call(&app, &key, Method::PUT, &format!("{slug}/n8n"), Some(json!({"base_url": n8n_url, "api_key": n8n_key})))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let run = check(&app, &key, &slug, "n8n_credentials").await;
    assert_eq!(run["verdict"], "passed", "{run}");
    assert_eq!(run["calls"][0]["target"], "n8n");
    assert!(!run.to_string().contains(&n8n_key));
    assert!(has(&check(&app, &key, &slug, "v2_workflow").await, "failed:check_v2_not_installed"));

    let (status, body) = call(&app, &key, Method::POST, &format!("{slug}/automation/install"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "installs with the default public URL: {body}");
    let run = check(&app, &key, &slug, "v2_workflow").await;
    assert!(has(&run, "failed:check_v2_inactive") && has(&run, "warning:check_mode_not_v2"), "{run}");

    state(&app, &key, &slug, json!({"state": "pre_activation"})).await;
    state(&app, &key, &slug, json!({"state": "activation", "force": true, "reason": "teste de ciclo"})).await;
    let (status, _) = call(&app, &key, Method::POST, &format!("{slug}/automation/roll-forward"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        checklist(&app, &key, &slug).await["lifecycle"],
        "activation",
        "a roll-forward of a non-rolled-back org keeps its state"
    );
    let run = check(&app, &key, &slug, "v2_workflow").await;
    assert_eq!(run["verdict"], "passed", "{run}");
    assert!(has(&run, "ok:check_v2_active") && !has(&run, "warning:check_mode_not_v2"));

    state(&app, &key, &slug, json!({"state": "active", "force": true, "reason": "teste de ciclo"})).await;
    let (status, _) =
        call(&app, &key, Method::POST, &format!("{slug}/automation/rollback"), Some(json!({"reason": "x"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(checklist(&app, &key, &slug).await["lifecycle"], "rolled_back");
    assert!(has(&check(&app, &key, &slug, "v2_workflow").await, "failed:check_v2_inactive"));
    let (status, report) =
        call(&app, &key, Method::POST, &format!("{slug}/automation/roll-forward"), Some(json!({}))).await;
    assert_eq!((status, report["outcome"].as_str()), (StatusCode::OK, Some("ok")), "{report}");
    let list = checklist(&app, &key, &slug).await;
    assert_eq!(list["lifecycle"], "active", "back where it was rolled back from");
    let (_, history) = call(&app, &key, Method::GET, &format!("{slug}/onboarding/history"), None).await;
    assert_eq!((history[0]["from"].as_str(), history[0]["to"].as_str()), (Some("rolled_back"), Some("active")));
    // Leave the shared n8n as found: this org's workflows off.
    call(&app, &key, Method::POST, &format!("{slug}/automation/rollback"), Some(json!({"reason": "fim do teste"})))
        .await;
}

/// T+1's metrics: the first 24 h after going live, real traffic only, each against 1 %.
async fn the_first_day_metrics_count_real_traffic_against_the_plans_limits(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(2);
        c.smoke_wait_ms = 3_000;
    })
    .await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let run = check(&app, &key, "coronel", "first_day_metrics").await;
    assert!(has(&run, "failed:check_not_live_yet"), "{run}");
    go_live(&app, &key, "coronel").await;

    // Two customers processed without a hand-off, then one whose hand-off fails.
    for (i, wa) in [(1, "5511987650001"), (2, "5511987650002")] {
        let (status, _) = deliver(&app, "coronel", &wa_message(70_000 + i, 8_000 + i, wa), &format!("d-{i}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    until("the first two are processed", || async {
        let events = list(&app, &key, "coronel", "events").await;
        events.len() == 2 && events.iter().all(|e| e["status"] == "done")
    })
    .await;
    set_automation(&app, &key, "coronel", json!({"mode": "v2", "v2_url": "http://127.0.0.1:9/n8n", "timeout_ms": 300}))
        .await;
    let (_, ack) = deliver(&app, "coronel", &wa_message(70_003, 8_003, "5511987650003"), "d-3").await;
    until("the third event fails its hand-off", || async {
        event(&app, &key, "coronel", &ack["event_id"]).await["status"] == "failed"
    })
    .await;
    until("every real event has left the queue", || async {
        list(&app, &key, "coronel", "events").await.iter().all(|e| e["status"] == "done" || e["status"] == "failed")
    })
    .await;
    // A smoke run's traffic (failed hand-offs, a tool call) is not counted.
    let (status, _) = call(&app, &key, Method::POST, "coronel/onboarding/smoke", Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);

    let run = check(&app, &key, "coronel", "first_day_metrics").await;
    assert!(has(&run, "failed:check_first_day_open"), "the 24 h are not over: {run}");
    let metric = |run: &Value, code: &str| -> (String, String) {
        let l = run["lines"].as_array().unwrap().iter().find(|l| l["note"]["code"] == code).unwrap().clone();
        (
            l["note"]["params"]["failures"].as_str().unwrap().into(),
            l["note"]["params"]["total"].as_str().unwrap().into(),
        )
    };
    assert_eq!(metric(&run, "check_first_day_webhooks"), ("1".into(), "3".into()), "{run}");
    assert_eq!(metric(&run, "check_first_day_handoffs"), ("1".into(), "1".into()));
    assert_eq!(metric(&run, "check_first_day_conflicts"), ("0".into(), "3".into()));
    assert_eq!(metric(&run, "check_first_day_tools"), ("0".into(), "0".into()), "the smoke run's call is not counted");
    assert!(has(&run, "failed:check_first_day_webhooks") && has(&run, "ok:check_first_day_conflicts"));

    // A day later the window is closed; what happens after it is not in it.
    app.services.clock.advance(25 * 3600 * 1000);
    let (status, _) = deliver(&app, "coronel", &wa_message(70_004, 8_004, "5511987650004"), "d-4").await;
    assert_eq!(status, StatusCode::OK);
    let run = check(&app, &key, "coronel", "first_day_metrics").await;
    assert!(!has(&run, "failed:check_first_day_open"), "{run}");
    assert_eq!(metric(&run, "check_first_day_webhooks"), ("1".into(), "3".into()));
    assert_eq!(run["verdict"], "failed", "33 % of webhooks failed");
}

async fn the_onboarding_routes_are_in_the_openapi_document(_: Engine) {
    let app = TestApp::spawn_with(Engine::Sqlite, |c| c.workers = Some(0)).await;
    let doc = json(http().get(app.url("/api/v1/openapi.json")).send().await.unwrap()).await;
    for (path, method) in [
        ("/api/v1/admin/orgs/{slug}/onboarding", "get"),
        ("/api/v1/admin/orgs/{slug}/onboarding/state", "put"),
        ("/api/v1/admin/orgs/{slug}/onboarding/history", "get"),
        ("/api/v1/admin/orgs/{slug}/onboarding/items/{item}", "put"),
        ("/api/v1/admin/orgs/{slug}/onboarding/items/{item}/runs", "get"),
        ("/api/v1/admin/orgs/{slug}/onboarding/items/{item}/check", "post"),
        ("/api/v1/admin/orgs/{slug}/onboarding/phases/{phase}/check", "post"),
        ("/api/v1/admin/orgs/{slug}/onboarding/smoke", "post"),
        ("/api/v1/admin/orgs/{slug}/onboarding/smoke/live", "post"),
        ("/api/v1/admin/orgs/{slug}/onboarding/smoke/live", "get"),
        ("/api/v1/admin/orgs/{slug}/onboarding/smoke/live", "delete"),
        ("/api/v1/admin/orgs/{slug}/evidence", "post"),
        ("/api/v1/admin/orgs/{slug}/evidence", "get"),
        ("/api/v1/admin/orgs/{slug}/onboarding/wizard", "get"),
        ("/api/v1/admin/orgs/{slug}/onboarding/wizard/{step}", "post"),
        ("/api/v1/admin/orgs/{slug}/onboarding/review/logs", "get"),
        ("/api/v1/admin/orgs/{slug}/onboarding/review/sample", "get"),
        ("/api/v1/admin/orgs/{slug}/onboarding/review/sample", "post"),
        ("/api/v1/admin/orgs/{slug}/onboarding/review/{kind}/{id}", "put"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} documented");
        assert_eq!(op["security"][0]["admin_key"], json!([]), "{path} needs an admin key");
    }
    assert_eq!(doc["components"]["securitySchemes"]["admin_key"]["scheme"], "bearer");
    let states: Vec<&str> = doc["components"]["schemas"]["Lifecycle"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["draft", "pre_activation", "activation", "pilot", "active", "rolled_back"]);
    assert!(doc["paths"]["/api/v1/tools/stage-move"]["post"].is_object(), "the tools are still there");

    // Every onboarding route needs an admin key: none is 401, a wrong one is 401.
    for (method, path) in [
        (Method::GET, "coronel/onboarding"),
        (Method::PUT, "coronel/onboarding/state"),
        (Method::GET, "coronel/onboarding/history"),
        (Method::PUT, "coronel/onboarding/items/board_stages"),
        (Method::GET, "coronel/onboarding/items/board_stages/runs"),
        (Method::POST, "coronel/onboarding/items/board_stages/check"),
        (Method::POST, "coronel/onboarding/phases/t_minus_2/check"),
        (Method::POST, "coronel/onboarding/smoke"),
        (Method::POST, "coronel/onboarding/smoke/live"),
        (Method::GET, "coronel/onboarding/smoke/live"),
        (Method::DELETE, "coronel/onboarding/smoke/live"),
        (Method::POST, "coronel/evidence"),
        (Method::GET, "coronel/evidence"),
        (Method::GET, "coronel/onboarding/wizard"),
        (Method::POST, "coronel/onboarding/wizard/chatwoot"),
        (Method::GET, "coronel/onboarding/review/logs"),
        (Method::GET, "coronel/onboarding/review/sample"),
        (Method::POST, "coronel/onboarding/review/sample"),
        (Method::PUT, "coronel/onboarding/review/conversation/1"),
    ] {
        let url = app.url(&format!("/api/v1/admin/orgs/{path}"));
        let res = http().request(method.clone(), &url).json(&json!({})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path} without a key");
        assert_eq!(error_code(&json(res).await), "api_key_missing");
        let res =
            http().request(method.clone(), &url).bearer_auth("ponte_ak_errada").json(&json!({})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path} with a wrong key");
    }
}

both_engines!(
    a_new_org_is_a_draft_and_moves_only_along_its_lifecycle,
    items_are_marked_with_notes_and_a_complete_phase_opens_the_next_state,
    a_rollback_takes_a_live_org_to_rolled_back,
    only_admins_force_and_viewers_only_read_in_the_portal,
    t_minus_2_checks_pass_against_a_well_configured_chatwoot,
    t_minus_2_checks_name_what_is_wrong,
    the_checks_of_a_whole_phase_run_in_order,
    n8n_checks_and_the_lifecycle_through_rollback_and_roll_forward,
    the_first_day_metrics_count_real_traffic_against_the_plans_limits,
);

storage_free!(the_onboarding_routes_are_in_the_openapi_document);
