//! The automation tools API through HTTP on both engines: tokens, stage moves with every
//! refusal, idempotency keys, concurrency, cross-org isolation, reads and the OpenAPI
//! document (issue: tools API).

use crate::common::chatwoot::*;
use crate::common::*;
use app::domain::ingest::pipeline;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};

struct Org {
    token: String,
    deal_id: i64,
    contact_id: i64,
}

/// Org `slug` with one customer (a processed WhatsApp message) and an automation token.
async fn org_with_a_deal(app: &TestApp, key: &str, slug: &str, wa_id: &str) -> Org {
    setup_org(app, key, slug).await;
    let (status, _) = deliver(app, slug, &wa_message(1, 3311, wa_id), &format!("{slug}-1")).await;
    assert_eq!(status, StatusCode::OK);
    pipeline::drain(&app.services, "t").await.unwrap();
    let deals = list(app, key, slug, "deals").await;
    let res = http()
        .post(app.url(&format!("/api/v1/admin/orgs/{slug}/tokens")))
        .bearer_auth(key)
        .json(&json!({"name": "n8n v2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let made = json(res).await;
    Org {
        token: made["token"].as_str().unwrap().to_string(),
        deal_id: deals[0]["id"].as_i64().unwrap(),
        contact_id: deals[0]["contact_id"].as_i64().unwrap(),
    }
}

async fn setup(engine: Engine) -> (TestApp, String, Org) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    let org = org_with_a_deal(&app, &key, "coronel", "5511987654321").await;
    (app, key, org)
}

fn tool(app: &TestApp, token: &str, path: &str) -> RequestBuilder {
    http().post(app.url(&format!("/api/v1/tools/{path}"))).bearer_auth(token)
}

async fn send(req: RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, json(res).await)
}

async fn stage_of(app: &TestApp, key: &str, deal_id: i64) -> String {
    let deals = list(app, key, "coronel", "deals").await;
    deals.iter().find(|d| d["id"] == deal_id).unwrap()["stage"].as_str().unwrap().to_string()
}

async fn a_stage_moves_by_key_or_label_and_staying_put_is_a_noop(engine: Engine) {
    let (app, key, org) = setup(engine).await;
    let (status, body) =
        send(tool(&app, &org.token, "stage-move").json(&json!({"deal_id": org.deal_id, "stage": "em-atendimento"})))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["moved"], true);
    assert_eq!(body["stage"], json!({"key": "em-atendimento", "label": "Em atendimento"}));
    assert_eq!(body["previous_stage"]["key"], "novo-contato");
    assert_eq!(stage_of(&app, &key, org.deal_id).await, "em-atendimento");
    // Labels in any case, with or without accents.
    let (status, body) =
        send(tool(&app, &org.token, "stage-move").json(&json!({"deal_id": org.deal_id, "stage": "  PROPOSTA "}))).await;
    assert_eq!((status, body["stage"]["key"].clone()), (StatusCode::OK, json!("proposta")));
    let (status, body) =
        send(tool(&app, &org.token, "stage-move").json(&json!({"deal_id": org.deal_id, "stage": "Proposta"}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["moved"], false, "already there: success, nothing changed");
    let calls = list(&app, &key, "coronel", "tool-calls").await;
    let outcomes: Vec<&str> = calls.iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["noop", "ok", "ok"]);
    assert!(calls.iter().all(|c| c["tool"] == "stage-move" && c["deal_id"] == org.deal_id && c["http_status"] == 200));
}

async fn every_refusal_is_a_clear_4xx(engine: Engine) {
    let (app, key, org) = setup(engine).await;
    let other = org_with_a_deal(&app, &key, "outra", "5521999998888").await;
    let mv = |token: &str, body: Value| tool(&app, token, "stage-move").json(&body);
    // Token problems.
    let (status, body) = send(
        http().post(app.url("/api/v1/tools/stage-move")).json(&json!({"deal_id": org.deal_id, "stage": "proposta"})),
    )
    .await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::UNAUTHORIZED, "token_missing"));
    let (status, body) = send(mv("ponte_ot_0000", json!({"deal_id": org.deal_id, "stage": "proposta"}))).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::UNAUTHORIZED, "token_invalid"));
    let admin_key_as_token = mv(&key, json!({"deal_id": org.deal_id, "stage": "proposta"}));
    assert_eq!(send(admin_key_as_token).await.0, StatusCode::UNAUTHORIZED, "an admin key is not an org token");
    let (status, _) = send(
        http()
            .post(app.url("/api/v1/tools/stage-move"))
            .header("authorization", format!("Token {}", org.token))
            .json(&json!({"deal_id": org.deal_id, "stage": "proposta"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Deals: unknown, and another org's (not found, never forbidden).
    let (status, body) = send(mv(&org.token, json!({"deal_id": 999_999, "stage": "proposta"}))).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::NOT_FOUND, "deal_not_found"));
    let (status, body) = send(mv(&org.token, json!({"deal_id": other.deal_id, "stage": "proposta"}))).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::NOT_FOUND, "deal_not_found"));
    assert_eq!(
        list(&app, &key, "outra", "deals").await[0]["stage"],
        "novo-contato",
        "the other org's deal did not move"
    );
    let (status, _) =
        send(http().get(app.url(&format!("/api/v1/tools/deals/{}", other.deal_id))).bearer_auth(&org.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nor can it be read");
    // Unknown stage: 422 with the valid ones.
    let (status, body) = send(mv(&org.token, json!({"deal_id": org.deal_id, "stage": "Pagamento"}))).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "stage_unknown"));
    let valid: Vec<&str> = body["error"]["details"]["valid_stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(valid, vec!["novo-contato", "em-atendimento", "proposta", "fechado"]);
    // Bad bodies.
    let raw =
        |b: &str| tool(&app, &org.token, "stage-move").header("content-type", "application/json").body(b.to_string());
    assert_eq!(send(raw("{not json")).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(send(raw(r#"{"stage": "proposta"}"#)).await.0, StatusCode::UNPROCESSABLE_ENTITY, "missing deal_id");
    assert_eq!(
        send(raw(&format!(r#"{{"deal_id": {}}}"#, org.deal_id))).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing stage"
    );
    assert_eq!(send(raw(r#"{"deal_id": "abc", "stage": "proposta"}"#)).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        send(raw(&format!(r#"{{"deal_id": {}, "stage": "proposta", "x": 1}}"#, org.deal_id))).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (status, _) = send(
        tool(&app, &org.token, "stage-move").body(format!(r#"{{"deal_id": {}, "stage": "proposta"}}"#, org.deal_id)),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A closed deal does not move.
    let res = http()
        .patch(app.url(&format!("/api/v1/admin/orgs/coronel/deals/{}", org.deal_id)))
        .bearer_auth(&key)
        .json(&json!({"status": "lost"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, body) = send(mv(&org.token, json!({"deal_id": org.deal_id, "stage": "proposta"}))).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::CONFLICT, "deal_closed"));
    assert_eq!(stage_of(&app, &key, org.deal_id).await, "novo-contato", "nothing refused moved anything");
    // Every call is on record with its status.
    let statuses: Vec<i64> =
        list(&app, &key, "coronel", "tool-calls").await.iter().map(|c| c["http_status"].as_i64().unwrap()).collect();
    assert!(statuses.contains(&404) && statuses.contains(&422) && statuses.contains(&409), "{statuses:?}");
}

async fn a_repeated_idempotency_key_returns_the_first_answer_and_moves_nothing(engine: Engine) {
    let (app, key, org) = setup(engine).await;
    let mv = |k: &str, stage: &str| {
        tool(&app, &org.token, "stage-move")
            .header("idempotency-key", k)
            .json(&json!({"deal_id": org.deal_id, "stage": stage}))
    };
    let (s1, first) = send(mv("exec-1-node-3", "em-atendimento")).await;
    assert_eq!((s1, first["moved"].clone()), (StatusCode::OK, json!(true)));
    let (_, _) = send(mv("exec-2-node-3", "proposta")).await;
    assert_eq!(stage_of(&app, &key, org.deal_id).await, "proposta");
    // n8n runs the first node again: same key, same answer, and the deal stays at "proposta".
    let (s2, again) = send(mv("exec-1-node-3", "em-atendimento")).await;
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(again, first);
    assert_eq!(stage_of(&app, &key, org.deal_id).await, "proposta");
    // A refused call is refused the same way when repeated.
    let (s3, refused) = send(mv("exec-3", "nao-existe")).await;
    let (s4, refused_again) = send(mv("exec-3", "nao-existe")).await;
    assert_eq!((s3, s4), (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(refused, refused_again);
    let outcomes: Vec<String> = list(&app, &key, "coronel", "tool-calls")
        .await
        .iter()
        .map(|c| c["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcomes.iter().filter(|o| *o == "replayed").count(), 2);
    // Keys are visible ASCII up to 200 characters.
    assert_eq!(send(mv(&"k".repeat(201), "proposta")).await.0, StatusCode::BAD_REQUEST);
}

async fn concurrent_moves_of_one_deal(engine: Engine) {
    let (app, key, org) = setup(engine).await;
    // Different targets at once: both answered, the deal ends at one of them.
    let a =
        send(tool(&app, &org.token, "stage-move").json(&json!({"deal_id": org.deal_id, "stage": "em-atendimento"})));
    let b = send(tool(&app, &org.token, "stage-move").json(&json!({"deal_id": org.deal_id, "stage": "proposta"})));
    let ((sa, ba), (sb, bb)) = tokio::join!(a, b);
    assert_eq!((sa, sb), (StatusCode::OK, StatusCode::OK), "{ba} {bb}");
    let final_stage = stage_of(&app, &key, org.deal_id).await;
    assert!(final_stage == "em-atendimento" || final_stage == "proposta");
    // The same key six times at once: exactly one move, six equal answers.
    let calls = (0..6).map(|_| {
        send(
            tool(&app, &org.token, "stage-move")
                .header("idempotency-key", "dup")
                .json(&json!({"deal_id": org.deal_id, "stage": "fechado"})),
        )
    });
    let answers = futures::future::join_all(calls).await;
    assert!(answers.iter().all(|(s, b)| *s == StatusCode::OK && *b == answers[0].1), "{answers:?}");
    assert_eq!(answers.iter().filter(|(_, b)| b["moved"] == true).count(), 6, "all see the first answer");
    let moved = list(&app, &key, "coronel", "tool-calls")
        .await
        .iter()
        .filter(|c| c["input"].as_str().unwrap().contains("dup") && c["outcome"] == "ok")
        .count();
    assert_eq!(moved, 1, "one call moved the deal, the rest replayed it");
    assert_eq!(stage_of(&app, &key, org.deal_id).await, "fechado");
}

async fn deal_and_context_reads(engine: Engine) {
    let (app, key, org) = setup(engine).await;
    let get = |path: String| http().get(app.url(&format!("/api/v1/tools/{path}"))).bearer_auth(&org.token);
    let (status, deal) = send(get(format!("deals/{}", org.deal_id))).await;
    assert_eq!(status, StatusCode::OK, "{deal}");
    assert_eq!(deal["contact"]["id"], org.contact_id);
    assert_eq!(deal["contact"]["phone"], "+5511987654321");
    assert_eq!(deal["stage"]["key"], "novo-contato");
    assert_eq!(deal["stages"].as_array().unwrap().len(), 4);
    assert_eq!(send(get("deals/abc".into())).await.0, StatusCode::NOT_FOUND);
    let (status, ctx) = send(get("context?session_key=whatsapp:5511987654321".into())).await;
    assert_eq!(status, StatusCode::OK, "{ctx}");
    assert_eq!((ctx["contact_id"].as_i64(), ctx["deal_id"].as_i64()), (Some(org.contact_id), Some(org.deal_id)));
    assert_eq!(ctx["conversation_id"], 3311);
    assert_eq!(ctx["stage"]["key"], "novo-contato");
    let (status, ctx) = send(get("context?conversation_id=3311".into())).await;
    assert_eq!((status, ctx["deal_id"].as_i64()), (StatusCode::OK, Some(org.deal_id)));
    assert_eq!(send(get("context?session_key=whatsapp:5599999999999".into())).await.0, StatusCode::NOT_FOUND);
    assert_eq!(send(get("context".into())).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(send(get("context?conversation_id=abc".into())).await.0, StatusCode::BAD_REQUEST);
    // Another org's session is not visible with this token.
    let _other = org_with_a_deal(&app, &key, "outra", "5521999998888").await;
    assert_eq!(send(get("context?session_key=whatsapp:5521999998888".into())).await.0, StatusCode::NOT_FOUND);
}

async fn tokens_are_shown_once_stored_hashed_and_revocable(engine: Engine) {
    let (app, key, org) = setup(engine).await;
    let res = http().get(app.url("/api/v1/admin/orgs/coronel/tokens")).bearer_auth(&key).send().await.unwrap();
    let tokens = json(res).await;
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert!(!tokens.to_string().contains(&org.token), "listed without the token");
    assert!(org.token.starts_with(tokens[0]["prefix"].as_str().unwrap()));
    assert!(tokens[0]["last_used_at"].is_null());
    let (status, _) =
        send(http().get(app.url(&format!("/api/v1/tools/deals/{}", org.deal_id))).bearer_auth(&org.token)).await;
    assert_eq!(status, StatusCode::OK);
    let res = http().get(app.url("/api/v1/admin/orgs/coronel/tokens")).bearer_auth(&key).send().await.unwrap();
    assert!(json(res).await[0]["last_used_at"].is_i64(), "last use is stamped");
    let id = tokens[0]["id"].as_i64().unwrap();
    let revoke = || http().delete(app.url(&format!("/api/v1/admin/orgs/coronel/tokens/{id}"))).bearer_auth(&key).send();
    assert_eq!(revoke().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(revoke().await.unwrap().status(), StatusCode::NOT_FOUND);
    let (status, body) =
        send(http().get(app.url(&format!("/api/v1/tools/deals/{}", org.deal_id))).bearer_auth(&org.token)).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::UNAUTHORIZED, "token_invalid"));
    // A token id of one org cannot be revoked through another.
    let other = org_with_a_deal(&app, &key, "outra", "5521999998888").await;
    let res = http().get(app.url("/api/v1/admin/orgs/outra/tokens")).bearer_auth(&key).send().await.unwrap();
    let other_id = json(res).await[0]["id"].as_i64().unwrap();
    let res = http()
        .delete(app.url(&format!("/api/v1/admin/orgs/coronel/tokens/{other_id}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, _) =
        send(http().get(app.url(&format!("/api/v1/tools/deals/{}", other.deal_id))).bearer_auth(&other.token)).await;
    assert_eq!(status, StatusCode::OK, "still valid");
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/tokens"))
        .bearer_auth(&key)
        .json(&json!({"name": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res =
        http().post(app.url("/api/v1/admin/orgs/coronel/tokens")).json(&json!({"name": "x"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "only admins make tokens");
    // An archived org's automations are switched off: its valid token gets 403.
    let res = http()
        .patch(app.url("/api/v1/admin/orgs/outra"))
        .bearer_auth(&key)
        .json(&json!({"archived": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) =
        send(http().get(app.url(&format!("/api/v1/tools/deals/{}", other.deal_id))).bearer_auth(&other.token)).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::FORBIDDEN, "forbidden"));
}

async fn the_openapi_document_describes_the_tools(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let res = http().get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc = json(res).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mv = &doc["paths"]["/api/v1/tools/stage-move"]["post"];
    assert_eq!(
        mv["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/StageMoveInput"
    );
    for code in ["200", "401", "404", "409", "422"] {
        assert!(mv["responses"].get(code).is_some(), "stage-move documents {code}");
    }
    assert!(doc["paths"]["/api/v1/tools/deals/{deal_id}"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/tools/context"]["get"]["parameters"].as_array().unwrap().len() >= 2);
    let input = &doc["components"]["schemas"]["StageMoveInput"];
    let mut required: Vec<&str> = input["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    required.sort();
    assert_eq!(required, vec!["deal_id", "stage"]);
    assert_eq!(doc["components"]["securitySchemes"]["org_token"]["scheme"], "bearer");
}

both_engines!(
    a_stage_moves_by_key_or_label_and_staying_put_is_a_noop,
    every_refusal_is_a_clear_4xx,
    a_repeated_idempotency_key_returns_the_first_answer_and_moves_nothing,
    concurrent_moves_of_one_deal,
    deal_and_context_reads,
    tokens_are_shown_once_stored_hashed_and_revocable,
);

storage_free!(the_openapi_document_describes_the_tools);
