//! The rollout board: waves, each org's plan, the board's columns, filters and sorting,
//! the activation lead time in business days, and what each bad input gets.

use crate::common::chatwoot::*;
use crate::common::*;
use app::model::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn call(app: &TestApp, key: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    admin_call(app, key, method, path, body).await
}

async fn board(app: &TestApp, key: &str, query: &str) -> Value {
    let (status, body) = call(app, key, Method::GET, &format!("rollout{query}"), None).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

fn slugs(board: &Value) -> Vec<String> {
    board["rows"].as_array().unwrap().iter().map(|r| r["slug"].as_str().unwrap().to_string()).collect()
}

fn row<'a>(board: &'a Value, slug: &str) -> &'a Value {
    board["rows"].as_array().unwrap().iter().find(|r| r["slug"] == slug).unwrap_or_else(|| panic!("{slug} on {board}"))
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339()
}

async fn wave(app: &TestApp, key: &str, body: Value) -> Value {
    let (status, w) = call(app, key, Method::POST, "waves", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    w
}

async fn plan(app: &TestApp, key: &str, slug: &str, body: Value) -> (StatusCode, Value) {
    call(app, key, Method::PUT, &format!("orgs/{slug}/onboarding/plan"), Some(body)).await
}

async fn the_board_shows_each_org_with_its_wave_progress_blockers_owner_and_lead_time(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    assert_eq!(board(&app, &key, "").await["rows"], json!([]), "an empty board");
    let pilot =
        wave(&app, &key, json!({"name": "Piloto", "planned_start": "2026-12-07", "planned_end": "2026-12-11"})).await;
    let one = wave(&app, &key, json!({"name": "Onda 1", "planned_start": "2026-12-14"})).await;
    assert_eq!((pilot["position"].as_i64(), one["position"].as_i64()), (Some(1), Some(2)), "new waves go last");
    for slug in ["coronel", "acai", "padaria"] {
        create_org(&app, &key, slug).await;
    }
    let now = app.services.now();
    // Coronel: in the pilot, credentials ready a minute ago, live now.
    let (status, p) = plan(
        &app,
        &key,
        "coronel",
        json!({"wave_id": pilot["id"], "technical_owner": "Ana Souza", "credentials_ready_at": rfc3339(now - 60_000)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!((p["wave"]["name"].as_str(), p["technical_owner"].as_str()), (Some("Piloto"), Some("Ana Souza")));
    go_live(&app, &key, "coronel").await;
    // Açaí: wave 1, credentials ready ten days ago and not live: the clock runs, late.
    let (status, _) =
        plan(&app, &key, "acai", json!({"wave_id": one["id"], "credentials_ready_at": rfc3339(now - 10 * 86_400_000)}))
            .await;
    assert_eq!(status, StatusCode::OK);
    // A failed item is a blocker.
    let (status, _) = call(
        &app,
        &key,
        Method::PUT,
        "orgs/acai/onboarding/items/board_stages",
        Some(json!({"status": "failed", "note": "faltam etapas"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &app,
        &key,
        Method::PUT,
        "orgs/acai/onboarding/items/n8n_credentials",
        Some(json!({"status": "not_applicable", "note": "sem n8n próprio"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let b = board(&app, &key, "").await;
    assert_eq!(slugs(&b), ["coronel", "acai", "padaria"], "by wave, orgs without one last");
    let coronel = row(&b, "coronel");
    assert_eq!(coronel["lifecycle"], "active");
    assert_eq!(coronel["technical_owner"], "Ana Souza");
    assert_eq!(coronel["lead_time"]["running"], false);
    assert_eq!(coronel["lead_time"]["on_target"], true, "{coronel}");
    let acai = row(&b, "acai");
    assert_eq!(acai["wave"]["name"], "Onda 1");
    assert_eq!(acai["blockers"], json!(["board_stages"]));
    let t2 = &acai["phases"][0];
    assert_eq!(
        (t2["phase"].as_str(), t2["done"].as_i64(), t2["total"].as_i64()),
        (Some("t_minus_2"), Some(1), Some(5))
    );
    assert_eq!(acai["lead_time"]["running"], true);
    assert_eq!(acai["lead_time"]["on_target"], false);
    assert!(
        acai["lead_time"]["business_days"].as_i64().unwrap() >= 6,
        "ten days hold at least six business days: {acai}"
    );
    let padaria = row(&b, "padaria");
    assert!(padaria["wave"].is_null() && padaria["lead_time"].is_null());
    assert_eq!((b["on_target"].as_i64(), b["measured"].as_i64()), (Some(1), Some(1)), "only orgs in production count");
    let waves = b["waves"].as_array().unwrap();
    assert_eq!(waves.iter().map(|w| w["orgs"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 1]);

    // Filters and sorting.
    assert_eq!(slugs(&board(&app, &key, &format!("?wave={}", one["id"])).await), ["acai"]);
    assert_eq!(slugs(&board(&app, &key, "?wave=none").await), ["padaria"]);
    assert_eq!(slugs(&board(&app, &key, "?state=active").await), ["coronel"]);
    assert_eq!(slugs(&board(&app, &key, "?state=draft&sort=-name").await), ["padaria", "acai"]);
    assert_eq!(slugs(&board(&app, &key, "?sort=-blockers").await)[0], "acai");
    assert_eq!(
        slugs(&board(&app, &key, "?sort=-lead_time").await),
        ["acai", "coronel", "padaria"],
        "no lead time last"
    );
    assert_eq!(slugs(&board(&app, &key, "?sort=owner").await), ["coronel", "acai", "padaria"]);

    // An archived org leaves the board and its wave's count.
    let res = http()
        .patch(app.url("/api/v1/admin/orgs/acai"))
        .bearer_auth(&key)
        .json(&json!({"archived": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let b = board(&app, &key, "").await;
    assert_eq!(slugs(&b), ["coronel", "padaria"]);
    assert_eq!(b["waves"][1]["orgs"], 0);
    // …but its wave cannot be deleted from under it.
    let (status, body) = call(&app, &key, Method::DELETE, &format!("waves/{}", one["id"]), None).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "wave_not_empty"));

    // Clearing the plan takes the org out of its wave.
    let (status, p) = plan(&app, &key, "coronel", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(p["wave"].is_null() && p["technical_owner"].is_null() && p["credentials_ready_at"].is_null(), "{p}");
    let audit = app::domain::store::audit::recent(&app.services.db, None, 50).await.unwrap();
    assert!(audit.iter().filter(|a| a.action == "org.plan").count() >= 3, "plan changes are audited");
    assert!(audit.iter().any(|a| a.action == "wave.create"));
}

async fn bad_waves_plans_and_filters_are_refused_with_the_field_named(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    let piloto = wave(&app, &key, json!({"name": "Piloto"})).await;
    let cases = [
        (json!({"name": ""}), "name", "required"),
        (json!({"name": "x".repeat(61)}), "name", "too_long"),
        (json!({"name": "Onda 2", "planned_start": "14/12/2026"}), "planned_start", "date_invalid"),
        (json!({"name": "Onda 2", "planned_end": "2026-02-30"}), "planned_end", "date_invalid"),
        (
            json!({"name": "Onda 2", "planned_start": "2026-12-14", "planned_end": "2026-12-10"}),
            "planned_end",
            "date_range_invalid",
        ),
        (json!({"name": "Onda 2", "cor": "azul"}), "cor", "field_unknown"),
    ];
    for (body, field, code) in cases {
        let (status, res) = call(&app, &key, Method::POST, "waves", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
        assert_eq!(field_code(&res, field).as_deref(), Some(code), "{body}: {res}");
    }
    let (status, res) = call(&app, &key, Method::POST, "waves", Some(json!({"name": "Piloto"}))).await;
    assert_eq!((status, field_code(&res, "name").as_deref()), (StatusCode::CONFLICT, Some("name_taken")));
    let (status, _) = call(&app, &key, Method::PUT, "waves/999", Some(json!({"name": "Nada"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, &key, Method::DELETE, "waves/abc", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A rename keeps the id; an empty wave is deleted.
    let (status, w) = call(
        &app,
        &key,
        Method::PUT,
        &format!("waves/{}", piloto["id"]),
        Some(json!({"name": "Piloto SP", "planned_start": "2026-12-07"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(
        (w["id"].clone(), w["name"].as_str(), w["planned_start"].as_str()),
        (piloto["id"].clone(), Some("Piloto SP"), Some("2026-12-07"))
    );
    let (status, _) = call(&app, &key, Method::DELETE, &format!("waves/{}", piloto["id"]), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, waves) = call(&app, &key, Method::GET, "waves", None).await;
    assert_eq!(waves, json!([]));

    // The plan: every bad field at once, nothing written.
    let (status, res) = plan(
        &app,
        &key,
        "coronel",
        json!({"wave_id": 424242, "technical_owner": "y".repeat(121), "credentials_ready_at": "ontem às 18h"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    for (field, code) in
        [("wave_id", "wave_unknown"), ("technical_owner", "too_long"), ("credentials_ready_at", "instant_invalid")]
    {
        assert_eq!(field_code(&res, field).as_deref(), Some(code), "{res}");
    }
    let (_, p) = call(&app, &key, Method::GET, "orgs/coronel/onboarding/plan", None).await;
    assert!(p["technical_owner"].is_null(), "nothing written: {p}");
    let (status, _) = plan(&app, &key, "nenhuma", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, res) = plan(&app, &key, "coronel", json!({"wave_id": "um"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert!(!res.to_string().contains("deserialize"), "Ponte's words: {res}");
    // A São Paulo local time (what the portal sends) is read in São Paulo.
    let (status, p) = plan(&app, &key, "coronel", json!({"credentials_ready_at": "2026-12-04T18:30"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        p["credentials_ready_at"].as_i64(),
        chrono::DateTime::parse_from_rfc3339("2026-12-04T18:30:00-03:00").ok().map(|t| t.timestamp_millis())
    );

    // Filters that name nothing.
    let (status, res) = call(&app, &key, Method::GET, "rollout?wave=onda&state=ligado&sort=-cor", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for (field, code) in [("wave", "wave_unknown"), ("state", "lifecycle_invalid"), ("sort", "value_invalid")] {
        assert_eq!(field_code(&res, field).as_deref(), Some(code), "{res}");
    }
    let (status, _) = call(&app, &key, Method::GET, "rollout?page=2", None).await;
    assert!(status.is_client_error(), "an unknown parameter is refused: {status}");
}

/// The board in the portal: every role reads it; viewers change nothing; operators keep
/// waves and plans; the page renders on the server in Portuguese.
async fn the_rollout_board_in_the_portal_by_role(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    let viewer = app.logged_in(Role::Viewer).await;
    let res = app.server_fn(&viewer, "rollout_board", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(slugs(&json(res).await), ["coronel"]);
    for (f, form) in [
        ("save_wave", vec![("name", "Piloto")]),
        ("delete_wave", vec![("id", "1")]),
        ("save_plan", vec![("slug", "coronel"), ("technical_owner", "Ana")]),
    ] {
        assert_eq!(app.server_fn(&viewer, f, &form).await.status(), StatusCode::FORBIDDEN, "{f} as a viewer");
    }
    let operator = app.logged_in(Role::Operator).await;
    let w = json(
        app.server_fn(
            &operator,
            "save_wave",
            &[("id", ""), ("name", "Piloto"), ("planned_start", "2026-12-07"), ("planned_end", "")],
        )
        .await,
    )
    .await;
    assert_eq!(w["name"], "Piloto");
    let wave_id = w["id"].to_string();
    let res = app
        .server_fn(
            &operator,
            "save_plan",
            &[
                ("slug", "coronel"),
                ("wave_id", &wave_id),
                ("technical_owner", "Ana Souza"),
                ("credentials_ready_at", "2026-12-04T18:30"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .server_fn(&operator, "save_plan", &[("slug", "coronel"), ("wave_id", "x"), ("credentials_ready_at", "amanhã")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(res).await;
    assert_eq!(field_code(&body, "wave_id").as_deref(), Some("wave_unknown"), "{body}");
    let res = app.server_fn(&operator, "delete_wave", &[("id", &wave_id)]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "the wave holds coronel");
    let res = app.server_fn(&operator, "rollout_board", &[("state", "ligado")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let html = app.page(&viewer, "/rollout").await.text().await.unwrap();
    assert!(
        html.contains("Painel de implantação") && html.contains("Org coronel") && html.contains("Ana Souza"),
        "{html}"
    );
    assert!(html.contains("Piloto"));
    let html = app.page(&viewer, &format!("/rollout?wave={wave_id}&sort=-name")).await.text().await.unwrap();
    assert!(html.contains("Org coronel"));
    let html = app.page(&viewer, "/rollout?wave=none").await.text().await.unwrap();
    assert!(html.contains("board-empty") && !html.contains("data-slug=\"coronel\""), "coronel is in a wave");
    // The org's home shows its plan.
    let html = app.page(&viewer, "/orgs/coronel").await.text().await.unwrap();
    assert!(html.contains("Ana Souza") && html.contains("04/12/2026 18:30"), "{html}");
}

async fn the_rollout_routes_are_in_the_openapi_document(_: Engine) {
    let app = TestApp::spawn_with(Engine::Sqlite, |c| c.workers = Some(0)).await;
    let doc = json(http().get(app.url("/api/v1/openapi.json")).send().await.unwrap()).await;
    for (path, method) in [
        ("/api/v1/admin/rollout", "get"),
        ("/api/v1/admin/waves", "get"),
        ("/api/v1/admin/waves", "post"),
        ("/api/v1/admin/waves/{id}", "put"),
        ("/api/v1/admin/waves/{id}", "delete"),
        ("/api/v1/admin/orgs/{slug}/onboarding/plan", "get"),
        ("/api/v1/admin/orgs/{slug}/onboarding/plan", "put"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} documented");
        assert_eq!(op["security"][0]["admin_key"], json!([]), "{path} needs an admin key");
        let url = app.url(&path.replace("{id}", "1").replace("{slug}", "coronel"));
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let res = http().request(m, &url).json(&json!({})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path} without a key");
    }
}

both_engines!(
    the_board_shows_each_org_with_its_wave_progress_blockers_owner_and_lead_time,
    bad_waves_plans_and_filters_are_refused_with_the_field_named,
    the_rollout_board_in_the_portal_by_role,
);

storage_free!(the_rollout_routes_are_in_the_openapi_document);
