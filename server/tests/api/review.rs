//! The T+1 review: "logs audited" lists the conflicts and failed stage moves since go-live
//! and each is marked; the sample draws ten real conversations (never synthetic ones)
//! across both channels; the verdicts set the checklist items; bad input is refused.

use crate::common::chatwoot::*;
use crate::common::*;
use app::model::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn call(app: &TestApp, key: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    admin_call(app, key, method, &format!("orgs/{path}"), body).await
}

async fn item_status(app: &TestApp, key: &str, slug: &str, item: &str) -> String {
    let (_, list) = call(app, key, Method::GET, &format!("{slug}/onboarding"), None).await;
    list["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap())
        .find(|i| i["key"] == item)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn the_sample_draws_real_conversations_of_both_channels_and_sets_its_item(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    // Not live yet: nothing to review, and no sample to draw.
    let (status, body) = call(&app, &key, Method::POST, "coronel/onboarding/review/sample", None).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "not_activated"));
    go_live(&app, &key, "coronel").await;
    // Twelve WhatsApp and three Instagram conversations of real people.
    for i in 0..12 {
        let (status, _) = deliver(
            &app,
            "coronel",
            &wa_message(80_000 + i, 9_000 + i, &format!("55119876500{i:02}")),
            &format!("d-wa-{i}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    for i in 0..3 {
        let (status, _) = deliver(
            &app,
            "coronel",
            &ig_message(81_000 + i, 9_500 + i, &format!("17841400000{i:04}")),
            &format!("d-ig-{i}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    app::domain::ingest::pipeline::drain(&app.services, "test-worker").await.expect("processing runs");
    // A synthetic person never enters the sample.
    exec(&app, "UPDATE contacts SET synthetic = TRUE WHERE id = (SELECT MIN(contact_id) FROM conversations WHERE source = 'whatsapp')").await;

    let (status, sample) = call(&app, &key, Method::POST, "coronel/onboarding/review/sample", None).await;
    assert_eq!(status, StatusCode::OK, "{sample}");
    assert_eq!(sample["available"], 14, "fifteen conversations, one synthetic");
    let drawn = sample["conversations"].as_array().unwrap().clone();
    assert_eq!(drawn.len(), 10);
    let ig = drawn.iter().filter(|c| c["source"] == "instagram").count();
    assert_eq!(ig, 3, "every Instagram conversation there is, the rest WhatsApp");
    assert!(drawn.iter().all(|c| c["verdict"] == "pending" && c["stage"].is_string()), "{sample}");
    // Each conversation shows its own events in Ponte: exactly the message it came from.
    for c in &drawn {
        let events = c["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{c}");
        let e = event(&app, &key, "coronel", &events[0]["id"]).await;
        assert_eq!(e["payload"]["conversation"]["id"], c["chatwoot_conversation_id"], "{c}");
        assert_eq!(events[0]["status"], "done");
    }
    assert_eq!(item_status(&app, &key, "coronel", "conversation_sample").await, "pending");

    // Bad input.
    let first = drawn[0]["conversation_id"].to_string();
    for (path, body, status) in [
        (
            format!("coronel/onboarding/review/conversation/{first}"),
            json!({"verdict": "talvez"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("coronel/onboarding/review/conversation/{first}"),
            json!({"verdict": "problem"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("coronel/onboarding/review/conversation/999999".to_string(), json!({"verdict": "ok"}), StatusCode::NOT_FOUND),
        ("coronel/onboarding/review/pedido/1".to_string(), json!({"verdict": "ok"}), StatusCode::NOT_FOUND),
        ("coronel/onboarding/review/conversation/um".to_string(), json!({"verdict": "ok"}), StatusCode::NOT_FOUND),
        (format!("nenhuma/onboarding/review/conversation/{first}"), json!({"verdict": "ok"}), StatusCode::NOT_FOUND),
    ] {
        let (got, res) = call(&app, &key, Method::PUT, &path, Some(body.clone())).await;
        assert_eq!(got, status, "{path} {body}: {res}");
    }
    let (_, res) = call(
        &app,
        &key,
        Method::PUT,
        &format!("coronel/onboarding/review/conversation/{first}"),
        Some(json!({"verdict": "problem"})),
    )
    .await;
    assert_eq!(field_code(&res, "note").as_deref(), Some("required"), "a problem needs a note: {res}");

    // Nine ok: still pending; the tenth ok: the item is ok. A problem fails it.
    for c in &drawn {
        let path = format!("coronel/onboarding/review/conversation/{}", c["conversation_id"]);
        let (status, _) = call(&app, &key, Method::PUT, &path, Some(json!({"verdict": "ok"}))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    assert_eq!(item_status(&app, &key, "coronel", "conversation_sample").await, "ok");
    let (_, _) = call(
        &app,
        &key,
        Method::PUT,
        &format!("coronel/onboarding/review/conversation/{first}"),
        Some(json!({"verdict": "problem", "note": "bot respondeu em inglês"})),
    )
    .await;
    assert_eq!(item_status(&app, &key, "coronel", "conversation_sample").await, "failed");
    // A redraw keeps the reviewed ones.
    let (_, again) = call(&app, &key, Method::POST, "coronel/onboarding/review/sample", None).await;
    let ids = |s: &Value| {
        let mut v: Vec<i64> =
            s["conversations"].as_array().unwrap().iter().map(|c| c["conversation_id"].as_i64().unwrap()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&again), ids(&sample));
    let audit = app::domain::store::audit::recent(&app.services.db, None, 100).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "review.sample_drawn") && audit.iter().any(|a| a.action == "review.mark"));
}

async fn logs_audited_lists_conflicts_and_failed_moves_since_go_live(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let (_, logs) = call(&app, &key, Method::GET, "coronel/onboarding/review/logs", None).await;
    assert!(logs["since"].is_null() && logs["entries"] == json!([]));
    go_live(&app, &key, "coronel").await;
    // A failed stage move through the tool since go-live.
    let (_, token) = call(&app, &key, Method::POST, "coronel/tokens", Some(json!({"name": "n8n"}))).await;
    let res = http()
        .post(app.url("/api/v1/tools/stage-move"))
        .bearer_auth(token["token"].as_str().unwrap())
        .json(&json!({"deal_id": 424242, "stage": "proposta"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let (_, logs) = call(&app, &key, Method::GET, "coronel/onboarding/review/logs", None).await;
    let entries = logs["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{logs}");
    assert_eq!((entries[0]["kind"].as_str(), entries[0]["verdict"].as_str()), (Some("stage_move"), None));
    let path = format!("coronel/onboarding/review/stage_move/{}", entries[0]["ref_id"]);
    let (status, _) =
        call(&app, &key, Method::PUT, &path, Some(json!({"verdict": "ok", "note": "deal de teste"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Everything reviewed, but the first 24 h are not over: more may still come.
    assert_eq!(item_status(&app, &key, "coronel", "logs_audited").await, "pending");
    let (_, logs) = call(&app, &key, Method::GET, "coronel/onboarding/review/logs", None).await;
    assert_eq!(logs["window_ends_at"].as_i64().unwrap() - logs["since"].as_i64().unwrap(), 24 * 3600 * 1000);
    app.services.clock.advance(24 * 3600 * 1000);
    // Reading the logs once the window closed settles the item, no marking needed.
    let (_, logs) = call(&app, &key, Method::GET, "coronel/onboarding/review/logs", None).await;
    assert_eq!(logs["entries"].as_array().unwrap().len(), 1);
    assert_eq!(item_status(&app, &key, "coronel", "logs_audited").await, "ok");
    // A conflict id that is not in the list is not found.
    let (status, _) =
        call(&app, &key, Method::PUT, "coronel/onboarding/review/conflict/1", Some(json!({"verdict": "ok"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The page, by role.
    let viewer = app.logged_in(Role::Viewer).await;
    let html = app.page(&viewer, "/orgs/coronel/review").await.text().await.unwrap();
    assert!(
        html.contains("Revisão T+1") && html.contains("Mudança de etapa que falhou") && html.contains("deal de teste")
    );
    let res = app
        .server_fn(
            &viewer,
            "mark_review",
            &[("slug", "coronel"), ("kind", "stage_move"), ("ref_id", "1"), ("verdict", "ok")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.server_fn(&viewer, "draw_sample", &[("slug", "coronel")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

both_engines!(
    the_sample_draws_real_conversations_of_both_channels_and_sets_its_item,
    logs_audited_lists_conflicts_and_failed_moves_since_go_live,
);
