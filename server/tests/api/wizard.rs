//! The new-client wizard through the portal's server functions: every step in the plan's
//! order against the fake Chatwoot and the real n8n, each refusing to move on before its
//! checks pass, resumable at any point; and its admin API twin.

use crate::common::chatwoot::*;
use crate::common::fake_chatwoot::*;
use crate::common::*;
use app::model::Role;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn wizard(app: &TestApp, c: &Client, slug: &str) -> Value {
    let res = app.server_fn(c, "wizard_state", &[("slug", slug)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    json(res).await
}

async fn advance(app: &TestApp, c: &Client, slug: &str, step: &str, target: Option<&str>) -> (StatusCode, Value) {
    let mut form = vec![("slug", slug), ("step", step)];
    if let Some(t) = target {
        form.push(("target", t));
        form.push(("technical_owner", "operator@ponte.test"));
    }
    let res = app.server_fn(c, "wizard_advance", &form).await;
    let status = res.status();
    (status, json(res).await)
}

async fn save_chatwoot(app: &TestApp, c: &Client, form: Vec<(&'static str, String)>) -> StatusCode {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.server_fn(c, "save_chatwoot", &pairs).await.status()
}

fn done(w: &Value) -> Vec<String> {
    w["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["done"] == true)
        .map(|s| s["step"].as_str().unwrap().to_string())
        .collect()
}

async fn an_operator_takes_a_new_org_through_every_step_of_the_wizard(engine: Engine) {
    let n8n_url = std::env::var("PONTE_TEST_N8N_URL").expect("PONTE_TEST_N8N_URL is not set: run scripts/test.sh");
    let n8n_key = std::env::var("PONTE_TEST_N8N_API_KEY").expect("PONTE_TEST_N8N_API_KEY is not set");
    let fake = FakeChatwoot::start().await;
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(2)).await;
    let admin = app.logged_in(Role::Admin).await;
    let operator = app.logged_in(Role::Operator).await;
    let viewer = app.logged_in(Role::Viewer).await;
    // Step 1: the org (n8n holds every test's workflows: the slug is unique).
    let slug = format!("wiz-{}", &app::domain::auth::random_token()[..8]);
    let form = [
        ("slug", slug.as_str()),
        ("name", "Coronel Picanha Centro"),
        ("board_name", "Funil de vendas"),
        ("stages", "Novo contato\nEm atendimento\nProposta\nFechado"),
    ];
    assert_eq!(app.server_fn(&admin, "create_org", &form).await.status(), StatusCode::OK);
    let w = wizard(&app, &viewer, &slug).await;
    assert_eq!((w["current"].as_str(), w["lifecycle"].as_str()), (Some("chatwoot"), Some("draft")));
    assert_eq!(done(&w), ["create_org"]);

    // Viewers look, never act; a step ahead of its turn names the one to finish.
    let (status, _) = advance(&app, &viewer, &slug, "chatwoot", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = advance(&app, &operator, &slug, "webhook", None).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "step_incomplete"), "{body}");
    assert_eq!(body["details"]["step"], "chatwoot");
    let (status, body) = advance(&app, &operator, &slug, "fim", None).await;
    assert_eq!(
        (status, field_code(&body, "step").as_deref()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("value_invalid"))
    );
    let (status, _) = advance(&app, &operator, "nenhuma", "chatwoot", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Step 2: Chatwoot. A wrong token fails the step and keeps the org where it is.
    let acct = ACCOUNT.to_string();
    let chatwoot = |token: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("slug", slug.clone()),
            ("base_url", fake.base.clone()),
            ("account_id", acct.clone()),
            ("auth_mode", "signature".into()),
            ("api_token", token.into()),
            ("inboxes[12]", "whatsapp".into()),
            ("inboxes[13]", "instagram".into()),
            ("inboxes[14]", "whatsapp".into()),
            ("inboxes[17]", "whatsapp".into()),
        ]
    };
    assert_eq!(save_chatwoot(&app, &operator, chatwoot("token-errado")).await, StatusCode::OK);
    let (status, w) = advance(&app, &operator, &slug, "chatwoot", None).await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(
        (w["current"].as_str(), w["lifecycle"].as_str()),
        (Some("chatwoot"), Some("draft")),
        "not moved on: {w}"
    );
    let item = &w["steps"][1]["items"][0];
    assert_eq!((item["key"].as_str(), item["status"].as_str()), (Some("chatwoot_account"), Some("failed")));
    assert!(
        has(&item["last_run"], "failed:chatwoot_bad_token") || item["last_run"].to_string().contains("bad_token"),
        "{item}"
    );
    assert_eq!(save_chatwoot(&app, &operator, chatwoot(ADMIN_TOKEN)).await, StatusCode::OK);
    let (_, w) = advance(&app, &operator, &slug, "chatwoot", None).await;
    assert_eq!((w["current"].as_str(), w["lifecycle"].as_str()), (Some("webhook"), Some("pre_activation")), "{w}");

    // Left and resumed: a fresh look lands on the same step.
    assert_eq!(wizard(&app, &viewer, &slug).await["current"], "webhook");
    let html = app.page(&viewer, &format!("/orgs/{slug}/wizard")).await.text().await.unwrap();
    assert!(html.contains("data-step=\"webhook\"") && html.contains("Passo 3 de 6"), "the page resumes at step 3");

    // Step 3: the webhook is registered in Chatwoot, the board and the Instagram inbox checked.
    assert!(fake.webhooks().is_empty());
    let (_, w) = advance(&app, &operator, &slug, "webhook", None).await;
    assert_eq!(w["current"], "workflow", "{w}");
    assert_eq!(fake.webhooks().len(), 1);

    // Step 4: n8n, the v2 workflow installed and activated; T-2 complete moves the org on.
    let form = [("slug", slug.as_str()), ("base_url", n8n_url.as_str()), ("api_key", n8n_key.as_str())];
    assert_eq!(app.server_fn(&operator, "save_n8n", &form).await.status(), StatusCode::OK);
    let (_, w) = advance(&app, &operator, &slug, "workflow", None).await;
    assert_eq!(w["current"], "workflow", "v2 not installed yet: {w}");
    let res = app.server_fn(&operator, "install_v2", &[("slug", slug.as_str())]).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let res = app.server_fn(&operator, "roll_forward_org", &[("slug", slug.as_str())]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, w) = advance(&app, &operator, &slug, "workflow", None).await;
    assert_eq!((w["current"].as_str(), w["lifecycle"].as_str()), (Some("smoke"), Some("activation")), "{w}");

    // Step 5: the smoke tests; "continue" before they ran stays put.
    let (_, w) = advance(&app, &operator, &slug, "smoke", None).await;
    assert_eq!(w["current"], "smoke");
    let res = app.server_fn(&operator, "run_smoke_tests", &[("slug", slug.as_str()), ("mode", "synthetic")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let runs = json(res).await;
    assert!(runs.as_array().unwrap().iter().all(|r| r["verdict"] == "passed"), "{runs}");
    let (_, w) = advance(&app, &operator, &slug, "smoke", None).await;
    assert_eq!(w["current"], "release", "{w}");

    // Step 6: released to the pilot; a target that is not one is refused.
    for (target, code) in
        [(None, "required"), (Some("ativo"), "lifecycle_invalid"), (Some("draft"), "lifecycle_invalid")]
    {
        let (status, body) = advance(&app, &operator, &slug, "release", target).await;
        assert_eq!(
            (status, field_code(&body, "target").as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{target:?}"
        );
    }
    let (status, w) = advance(&app, &operator, &slug, "release", Some("pilot")).await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["lifecycle"], "pilot");
    assert_eq!(done(&w).len(), 6, "{w}");
    // On the board with its progress: T-2 and T0 complete.
    let res = app.server_fn(&viewer, "rollout_board", &[]).await;
    let board = json(res).await;
    let row = board["rows"].as_array().unwrap().iter().find(|r| r["slug"] == slug.as_str()).unwrap().clone();
    let phases: Vec<(i64, i64)> = row["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["done"].as_i64().unwrap(), p["total"].as_i64().unwrap()))
        .collect();
    assert_eq!(phases, [(5, 5), (5, 5), (0, 3)], "{row}");
    // Every move the wizard made is in the audit log, by the operator, with its reason.
    let audit = app::domain::store::audit::recent(&app.services.db, None, 200).await.unwrap();
    let moves: Vec<&str> = audit
        .iter()
        .filter(|a| a.action == "org.lifecycle" && a.actor == "user:operator@ponte.test")
        .map(|a| a.detail.as_str())
        .collect();
    assert_eq!(moves.len(), 3, "pre_activation, activation, pilot: {moves:?}");
    assert!(moves[1..].iter().all(|d| d.contains("assistente de implantação")), "{moves:?}");
    assert!(moves[0].contains("liberação de produção"), "the go-live record's move: {moves:?}");
    // (Newest first.) Released through the go-live record, the operator as technical owner.
    let res = app.server_fn(&viewer, "go_live_record", &[("slug", slug.as_str())]).await;
    let record = json(res).await;
    assert_eq!(
        (record["target"].as_str(), record["technical_owner"].as_str()),
        (Some("pilot"), Some("operator@ponte.test"))
    );
}

/// The same wizard for scripts: read where an org stands, advance a step.
async fn the_wizard_through_the_admin_api(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    let res =
        http().get(app.url("/api/v1/admin/orgs/coronel/onboarding/wizard")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json(res).await["current"], "chatwoot");
    // Nothing configured: the checks run and fail, naming what is missing; the org stays a draft.
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/onboarding/wizard/chatwoot"))
        .bearer_auth(&key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let w = json(res).await;
    assert_eq!((w["current"].as_str(), w["lifecycle"].as_str()), (Some("chatwoot"), Some("draft")));
    assert!(w["steps"][1]["items"][0]["last_run"].to_string().contains("check_chatwoot_not_configured"), "{w}");
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/onboarding/wizard/release"))
        .bearer_auth(&key)
        .json(&json!({"target": "pilot", "extra": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "unknown field");
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/onboarding/wizard/release"))
        .bearer_auth(&key)
        .json(&json!({"target": "pilot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(&json(res).await), "step_incomplete");
    let res = http().get(app.url("/api/v1/admin/orgs/coronel/onboarding/wizard")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

both_engines!(an_operator_takes_a_new_org_through_every_step_of_the_wizard, the_wizard_through_the_admin_api);
