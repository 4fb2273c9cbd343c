//! The admin API (`/api/v1/admin/…`) through HTTP: authentication, orgs, boards, stages,
//! users, and what happens to each kind of bad input.

use crate::common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

struct Api {
    app: TestApp,
    key: String,
    http: Client,
}

impl Api {
    async fn new(engine: Engine) -> Api {
        let app = TestApp::spawn(engine).await;
        let key = app.admin_key().await;
        Api { app, key, http: http() }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.app.url(&format!("/api/v1/admin{path}"))).bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, json(res).await)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
    async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }
}

async fn requests_without_a_valid_admin_key_are_401(engine: Engine) {
    let api = Api::new(engine).await;
    let url = api.app.url("/api/v1/admin/orgs");
    let cases: Vec<(Option<&str>, &str)> = vec![
        (None, "api_key_missing"),
        (Some("Basic dXNlcjpwYXNz"), "api_key_missing"),
        (Some("Bearer "), "api_key_missing"),
        (Some("Bearer ponte_ak_0000"), "api_key_invalid"),
        (Some("Bearer something-else"), "api_key_invalid"),
    ];
    for (header, code) in cases {
        let mut req = api.http.get(&url);
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{header:?}");
        let body = json(res).await;
        assert_eq!(error_code(&body), code, "{header:?}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 5);
    }
    // A revoked key stops working at once.
    let key = app::domain::auth::create_api_key(&api.app.services, &app::domain::Actor::cli(), "temp").await.unwrap();
    assert_eq!(api.http.get(&url).bearer_auth(&key.key).send().await.unwrap().status(), StatusCode::OK);
    app::domain::auth::revoke_api_key(&api.app.services, &app::domain::Actor::cli(), key.id).await.unwrap();
    let res = api.http.get(&url).bearer_auth(&key.key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A portal session cookie is not an API key.
    let portal = api.app.logged_in(app::model::Role::Admin).await;
    assert_eq!(portal.get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

async fn orgs_are_created_listed_read_and_updated(engine: Engine) {
    let api = Api::new(engine).await;
    let (s, body) = api
        .post(
            "/orgs",
            json!({"slug": "coronel-picanha", "name": "Coronel Picanha", "stages": ["Novo contato", "Proposta"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["slug"], "coronel-picanha");
    assert_eq!(body["boards"][0]["name"], "Funil de vendas");
    let (s, list) = api.get("/orgs").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (s, org) = api.get("/orgs/coronel-picanha").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(org["boards"][0]["stages"].as_array().unwrap().len(), 2);
    let (s, org) =
        api.patch("/orgs/coronel-picanha", json!({"name": "Coronel Picanha Centro", "archived": true})).await;
    assert_eq!(s, StatusCode::OK, "{org}");
    assert_eq!(org["name"], "Coronel Picanha Centro");
    assert_eq!((org["archived"].as_bool(), org["lifecycle"].as_str()), (Some(true), Some("draft")));
    let (s, org) = api.patch("/orgs/coronel-picanha", json!({"archived": false})).await;
    assert_eq!((s, org["archived"].as_bool()), (StatusCode::OK, Some(false)));
    // The lifecycle moves through its own route, with its rules: not through a patch.
    let (s, body) = api.patch("/orgs/coronel-picanha", json!({"status": "active"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_code(&body, "status").as_deref(), Some("field_unknown"));
    let (s, body) = api.patch("/orgs/coronel-picanha", json!({"archived": "sim"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, body) = api.post("/orgs", json!({"slug": "coronel-picanha", "name": "Outra"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "slug_taken");
    let (s, body) = api.get("/orgs/nao-existe").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
    let (s, _) = api.patch("/orgs/nao-existe", json!({"name": "X"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn boards_and_stages_are_managed_per_org(engine: Engine) {
    let api = Api::new(engine).await;
    api.post("/orgs", json!({"slug": "loja", "name": "Loja", "stages": ["Novo", "Proposta", "Fechado"]})).await;
    // A second board that becomes the default.
    let (s, board) = api
        .post("/orgs/loja/boards", json!({"name": "Pós-venda", "stages": ["Entregue", "Avaliado"], "is_default": true}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{board}");
    assert_eq!(board["key"], "pos-venda");
    let (_, boards) = api.get("/orgs/loja/boards").await;
    let defaults: Vec<&str> = boards
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["is_default"] == true)
        .map(|b| b["key"].as_str().unwrap())
        .collect();
    assert_eq!(defaults, ["pos-venda"], "exactly one default board");
    let (s, _) = api.post("/orgs/loja/boards", json!({"name": "Pós venda", "stages": ["X"]})).await;
    assert_eq!(s, StatusCode::CONFLICT, "same derived key");
    let (s, b) = api.patch("/orgs/loja/boards/vendas", json!({"is_default": true, "name": "Vendas"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["is_default"], true);
    assert_eq!(b["name"], "Vendas");
    let (s, _) = api.patch("/orgs/loja/boards/vendas", json!({"is_default": false})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Insert a stage in the middle, then move the last to the top.
    let (s, b) = api.post("/orgs/loja/boards/vendas/stages", json!({"label": "Em atendimento", "position": 2})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let order = |b: &Value| {
        b["stages"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(order(&b), ["novo", "em-atendimento", "proposta", "fechado"]);
    let (s, b) =
        api.patch("/orgs/loja/boards/vendas/stages/fechado", json!({"position": 1, "label": "Fechado (ganho)"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(order(&b), ["fechado", "novo", "em-atendimento", "proposta"]);
    let positions: Vec<i64> = b["stages"].as_array().unwrap().iter().map(|s| s["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, [1, 2, 3, 4]);
    assert_eq!(b["stages"][0]["label"], "Fechado (ganho)");
    let (s, _) = api.post("/orgs/loja/boards/vendas/stages", json!({"label": "Proposta"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, body) = api.post("/orgs/loja/boards/vendas/stages", json!({"label": "", "position": 0})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_code(&body, "label").as_deref(), Some("required"));
    assert_eq!(field_code(&body, "position").as_deref(), Some("too_short"));
    let (s, _) = api.patch("/orgs/loja/boards/vendas/stages/nao-existe", json!({"label": "X"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api.get("/orgs/loja/boards/nao-existe").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn one_orgs_boards_cannot_be_reached_through_another(engine: Engine) {
    let api = Api::new(engine).await;
    api.post("/orgs", json!({"slug": "loja-a", "name": "A", "stages": ["Um"]})).await;
    api.post("/orgs", json!({"slug": "loja-b", "name": "B", "stages": ["Dois"]})).await;
    api.post("/orgs/loja-b/boards", json!({"name": "Secreto", "stages": ["X"]})).await;
    let (s, _) = api.get("/orgs/loja-a/boards/secreto").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api.patch("/orgs/loja-a/boards/secreto/stages/x", json!({"label": "hack"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, b) = api.get("/orgs/loja-b/boards/secreto").await;
    assert_eq!(b["stages"][0]["label"], "X", "untouched");
}

async fn bad_bodies_get_clear_json_errors(engine: Engine) {
    let api = Api::new(engine).await;
    let url = api.app.url("/api/v1/admin/orgs");
    // Malformed JSON → 400.
    let res = api
        .http
        .post(&url)
        .bearer_auth(&api.key)
        .header("content-type", "application/json")
        .body("{\"slug\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&json(res).await), "invalid_json");
    // Not JSON at all → 415.
    let res = api
        .http
        .post(&url)
        .bearer_auth(&api.key)
        .header("content-type", "text/plain")
        .body("slug=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(&json(res).await), "unsupported_media_type");
    // Missing field or wrong type → 422 that names the field.
    let (s, body) = api.post("/orgs", json!({"slug": "x-y"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["message"].as_str().unwrap().contains("name"), "{body}");
    let (s, _) = api.post("/orgs", json!({"slug": 42, "name": "X"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Over the body limit (1 MiB) → 413, JSON, nothing created.
    let auth = format!("Authorization: Bearer {}\r\n", api.key);
    let (status, body) = oversized_post(api.app.addr, "/api/v1/admin/orgs", &auth, 2 * 1024 * 1024).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&body), "body_too_large");
    let (_, list) = api.get("/orgs").await;
    assert!(list.as_array().unwrap().is_empty());
    // Unknown API routes are JSON 404s, not portal pages.
    let (s, body) = api.get("/nada").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
    let res = api.http.get(api.app.url("/api/v1/nada")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn users_and_the_stage_template_are_managed_by_api(engine: Engine) {
    let api = Api::new(engine).await;
    let (s, u) = api
        .post(
            "/users",
            json!({"email": "Op@Ponte.test", "name": "Operadora", "password": PASSWORD, "role": "operator"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    assert_eq!(u["email"], "op@ponte.test");
    assert!(u.get("password_hash").is_none(), "hash never leaves the server");
    let (s, _) = api
        .post("/users", json!({"email": "op@ponte.test", "name": "Outra", "password": PASSWORD, "role": "viewer"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, body) =
        api.post("/users", json!({"email": "x@ponte.test", "name": "X", "password": PASSWORD, "role": "root"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_code(&body, "role").as_deref(), Some("role_invalid"));
    let (s, body) =
        api.post("/users", json!({"email": "x@ponte.test", "name": "X", "password": "curta", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_code(&body, "password").as_deref(), Some("password_too_short"));
    let (_, users) = api.get("/users").await;
    assert_eq!(users.as_array().unwrap().len(), 1);

    let (s, t) = api.call(reqwest::Method::PUT, "/stage-template", Some(json!({"stages": ["A", "B"]}))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["stages"], json!(["A", "B"]));
    let (_, t) = api.get("/stage-template").await;
    assert_eq!(t["stages"], json!(["A", "B"]));
}

/// method, path, body, the status and code answered, and the field named (with its code).
type Case<'a> = (&'a str, &'a str, &'a str, StatusCode, &'a str, Option<(&'a str, &'a str)>);

/// serde's refusals are Ponte's own errors: a 4xx whose pt-BR message names the field (with
/// its code) and never carries serde's or axum's English.
async fn bad_input_gets_pontes_field_errors_never_serdes_words(engine: Engine) {
    let api = Api::new(engine).await;
    let (s, _) = api.post("/orgs", json!({"slug": "loja-a", "name": "A", "stages": ["Um"]})).await;
    assert_eq!(s, StatusCode::CREATED);
    let cases: &[Case] = &[
        (
            "POST",
            "/orgs",
            r#"{"slug": 42, "name": "X"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            Some(("slug", "value_invalid")),
        ),
        (
            "POST",
            "/orgs",
            r#"{"slug": "x-y"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            Some(("name", "required")),
        ),
        (
            "POST",
            "/orgs",
            r#"{"slug": "x-y", "name": "X", "stages": [1]}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            Some(("stages[0]", "value_invalid")),
        ),
        (
            "PUT",
            "/orgs/loja-a/automation",
            r#"{"modo": "v2"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            Some(("modo", "field_unknown")),
        ),
        (
            "PUT",
            "/orgs/loja-a/automation",
            r#"{"timeout_ms": "rápido"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            Some(("timeout_ms", "value_invalid")),
        ),
        ("POST", "/orgs", "[1, 2]", StatusCode::UNPROCESSABLE_ENTITY, "validation", None),
        ("POST", "/orgs", r#"{"slug": "#, StatusCode::BAD_REQUEST, "invalid_json", None),
        ("POST", "/orgs", r#"{"slug": "x-y", "name": "X"} lixo"#, StatusCode::BAD_REQUEST, "invalid_json", None),
        ("POST", "/orgs", "", StatusCode::BAD_REQUEST, "invalid_json", None),
        (
            "GET",
            "/orgs/loja-a/events?limit=abc",
            "",
            StatusCode::BAD_REQUEST,
            "cursor_invalid",
            Some(("limit", "value_invalid")),
        ),
        (
            "GET",
            "/orgs/loja-a/events?colunas=1",
            "",
            StatusCode::BAD_REQUEST,
            "cursor_invalid",
            Some(("colunas", "field_unknown")),
        ),
    ];
    for (method, path, body, status, code, field) in cases {
        let mut req = api
            .http
            .request(method.parse().unwrap(), api.app.url(&format!("/api/v1/admin{path}")))
            .bearer_auth(&api.key);
        if *method != "GET" {
            req = req.header("content-type", "application/json").body(body.to_string());
        }
        let res = req.send().await.unwrap();
        let what = format!("{method} {path} {body}");
        assert_eq!(res.status(), *status, "{what}");
        let answer = json(res).await;
        assert_eq!(error_code(&answer), *code, "{what}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        for english in
            ["Failed to deserialize", "expected", "invalid type", "missing field", "unknown field", "at line"]
        {
            assert!(!message.contains(english), "{what}: {message}");
        }
        if let Some((name, field_code_expected)) = field {
            assert_eq!(field_code(&answer, name).as_deref(), Some(*field_code_expected), "{what}: {answer}");
            assert!(message.contains(name), "the message names the field: {what}: {message}");
        }
    }
}

both_engines!(
    bad_input_gets_pontes_field_errors_never_serdes_words,
    requests_without_a_valid_admin_key_are_401,
    orgs_are_created_listed_read_and_updated,
    boards_and_stages_are_managed_per_org,
    one_orgs_boards_cannot_be_reached_through_another,
    bad_bodies_get_clear_json_errors,
    users_and_the_stage_template_are_managed_by_api,
);
