//! Organizations through the portal's server functions and pages.

use crate::common::*;
use app::model::Role;
use reqwest::StatusCode;

fn org_form<'a>(slug: &'a str, name: &'a str, stages: &'a str) -> [(&'static str, &'a str); 4] {
    [("slug", slug), ("name", name), ("board_name", "Funil de vendas"), ("stages", stages)]
}

async fn admin_creates_an_org_with_its_board_and_stages(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let c = app.logged_in(Role::Admin).await;
    let res = app
        .server_fn(
            &c,
            "create_org",
            &org_form("coronel-picanha", "Coronel Picanha", "Novo contato\nEm atendimento\n\nProposta\nFechado\n"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let org = json(res).await;
    assert_eq!(org["slug"], "coronel-picanha");
    assert_eq!(org["lifecycle"], "draft");

    let detail = json(app.server_fn(&c, "get_org", &[("slug", "coronel-picanha")]).await).await;
    let board = &detail["boards"][0];
    assert_eq!(board["is_default"], true);
    let keys: Vec<&str> = board["stages"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["novo-contato", "em-atendimento", "proposta", "fechado"]);

    let list = json(app.server_fn(&c, "list_orgs", &[]).await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // The pages render it on the server.
    let html = app.page(&c, "/orgs").await.text().await.unwrap();
    assert!(html.contains("Coronel Picanha") && html.contains("Rascunho"));
    let res = app.page(&c, "/orgs/coronel-picanha").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Em atendimento"));
    // The audit log knows who did it.
    let audit = app::domain::store::audit::recent(&app.services.db, None, 10).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "org.create" && a.actor == "user:admin@ponte.test"));
}

async fn bad_org_input_gets_field_errors_in_portuguese(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let c = app.logged_in(Role::Admin).await;
    let long = "x".repeat(121);
    // (form, field that must be rejected, expected code)
    type Case<'a> = ([(&'static str, &'a str); 4], &'static str, &'static str);
    let cases: Vec<Case> = vec![
        (org_form("coronel picanha", "Coronel", "A"), "slug", "slug_invalid"),
        (org_form("açaí-da-praça", "Açaí", "A"), "slug", "slug_invalid"),
        (org_form("Coronel", "Coronel", "A"), "slug", "slug_invalid"),
        (org_form("", "Coronel", "A"), "slug", "required"),
        (org_form("loja", "   ", "A"), "name", "required"),
        (org_form("loja", &long, "A"), "name", "too_long"),
        (org_form("loja", "Loja", "  \n \n"), "stages", "stages_empty"),
        (org_form("loja", "Loja", "Proposta\nproposta"), "stages", "stages_duplicate"),
    ];
    for (form, field, code) in cases {
        let res = app.server_fn(&c, "create_org", &form).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        let body = json(res).await;
        assert_eq!(field_code(&body, field).as_deref(), Some(code), "{form:?}: {body}");
        let msg = body["fields"].as_array().unwrap().iter().find(|f| f["field"] == field).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string();
        let expected: app::model::ErrorCode = serde_json::from_value(serde_json::json!(code)).unwrap();
        assert_eq!(msg, expected.message(), "pt-BR message for {code}");
    }
    // Everything wrong at once: every field is reported.
    let body = json(app.server_fn(&c, "create_org", &org_form("a b", "", "")).await).await;
    for f in ["slug", "name", "stages"] {
        assert!(field_code(&body, f).is_some(), "{f} reported: {body}");
    }
    assert!(
        json(app.server_fn(&c, "list_orgs", &[]).await).await.as_array().unwrap().is_empty(),
        "nothing was created"
    );
}

async fn duplicate_slug_is_a_409_on_the_slug_field(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let c = app.logged_in(Role::Admin).await;
    assert_eq!(app.server_fn(&c, "create_org", &org_form("loja", "Loja", "A")).await.status(), StatusCode::OK);
    let res = app.server_fn(&c, "create_org", &org_form("loja", "Outra loja", "A")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = json(res).await;
    assert_eq!(field_code(&body, "slug").as_deref(), Some("slug_taken"));
    assert_eq!(body["message"], "Já existe uma organização com este identificador.");
}

async fn unknown_org_is_404_on_the_api_and_the_page(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let c = app.logged_in(Role::Viewer).await;
    let res = app.server_fn(&c, "get_org", &[("slug", "nao-existe")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.server_fn(&c, "get_org", &[("slug", "../../etc")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.page(&c, "/orgs/nao-existe").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Não encontrado."));
}

async fn the_default_stage_template_is_editable_by_admins(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let c = app.logged_in(Role::Admin).await;
    let tpl = json(app.server_fn(&c, "stage_template", &[]).await).await;
    assert_eq!(tpl, serde_json::json!(["Novo contato", "Em atendimento", "Proposta", "Fechado"]));
    let res = app.server_fn(&c, "save_stage_template", &[("stages", "Lead\nNegociação\nGanho")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.server_fn(&c, "save_stage_template", &[("stages", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_code(&json(res).await, "stages").as_deref(), Some("stages_empty"));
    // The admin API's installer takes the template when no stages are given.
    let key = app.admin_key().await;
    let res = http()
        .post(app.url("/api/v1/admin/orgs"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"slug": "nova", "name": "Nova"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = json(res).await;
    let labels: Vec<&str> =
        body["boards"][0]["stages"].as_array().unwrap().iter().map(|s| s["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Lead", "Negociação", "Ganho"]);
}

both_engines!(
    admin_creates_an_org_with_its_board_and_stages,
    bad_org_input_gets_field_errors_in_portuguese,
    duplicate_slug_is_a_409_on_the_slug_field,
    unknown_org_is_404_on_the_api_and_the_page,
    the_default_stage_template_is_editable_by_admins,
);

async fn a_form_post_over_the_body_limit_is_a_json_413(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let c = app.logged_in(Role::Admin).await;
    let (status, body) = oversized_post(app.addr, "/api/create_org", "", 2 * 1024 * 1024).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&body), "body_too_large");
    assert!(json(app.server_fn(&c, "list_orgs", &[]).await).await.as_array().unwrap().is_empty());
}

both_engines!(a_form_post_over_the_body_limit_is_a_json_413);

/// The Eventos page and its server functions: viewers read, only operators reprocess,
/// unknown orgs and events are 404.
async fn events_page_roles_and_errors(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    crate::common::chatwoot::setup_org(&app, &key, "coronel").await;
    let (_, ack) = crate::common::chatwoot::deliver(
        &app,
        "coronel",
        &crate::common::chatwoot::wa_message(1, 1, "5511987654321"),
        "d-1",
    )
    .await;
    let id = ack["event_id"].to_string();
    let viewer = app.logged_in(Role::Viewer).await;
    let res = app.server_fn(&viewer, "list_events", &[("slug", "coronel")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let overview = json(res).await;
    assert_eq!(overview["page"]["items"][0]["id"], ack["event_id"]);
    assert_eq!(overview["auth_mode"], "signature");
    let res = app.server_fn(&viewer, "reprocess_event", &[("slug", "coronel"), ("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.server_fn(&viewer, "reprocess_failed", &[("slug", "coronel"), ("hours", "24")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.server_fn(&viewer, "get_event", &[("slug", "outra"), ("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.server_fn(&viewer, "list_events", &[("slug", "coronel"), ("status", "quebrado")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.page(&viewer, "/orgs/coronel/events").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Eventos") && html.contains(&format!("data-event=\"{id}\"")), "{html}");
    assert!(!html.contains("reprocess-failed"), "viewers get no reprocess form");
    let res = app.page(&viewer, &format!("/orgs/coronel/events/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Etapas do processamento"));
    let res = app.page(&viewer, "/orgs/coronel/events/999999").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let operator = app.logged_in(Role::Operator).await;
    let res = app.server_fn(&operator, "reprocess_event", &[("slug", "coronel"), ("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "a pending event is not reprocessable");
    let res = app.server_fn(&operator, "reprocess_failed", &[("slug", "coronel"), ("hours", "24")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json(res).await["requeued"], 0);
}

both_engines!(events_page_roles_and_errors);

/// The Automação page and its server functions by role: viewers read; operators roll back
/// and forward; only admins make and revoke tokens.
async fn automation_page_roles(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    crate::common::chatwoot::setup_org(&app, &key, "coronel").await;
    let viewer = app.logged_in(Role::Viewer).await;
    let res = app.server_fn(&viewer, "automation_page", &[("slug", "coronel")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = json(res).await;
    assert_eq!(page["status"]["automation"]["configured"], false);
    assert!(page["status"]["n8n"].is_null());
    assert_eq!(
        app.server_fn(&viewer, "rollback_org", &[("slug", "coronel"), ("reason", "x")]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.server_fn(&viewer, "roll_forward_org", &[("slug", "coronel")]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.server_fn(&viewer, "create_org_token", &[("slug", "coronel"), ("name", "x")]).await.status(),
        StatusCode::FORBIDDEN
    );
    let res = app.page(&viewer, "/orgs/coronel/automation").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Automação") && !html.contains("rollback-start"), "viewers see no rollback button");
    let operator = app.logged_in(Role::Operator).await;
    // With no v2 workflow and no hand-off to v2 there is nothing to roll back: refused,
    // and no incident is opened.
    let res = app.server_fn(&operator, "rollback_org", &[("slug", "coronel"), ("reason", "teste")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = json(res).await;
    assert_eq!(error_code(&body), "nothing_to_roll_back");
    assert!(body["message"].as_str().unwrap().starts_with("Não há o que reverter"), "{body}");
    let page = json(app.server_fn(&operator, "automation_page", &[("slug", "coronel")]).await).await;
    assert!(page["status"]["incidents"].as_array().unwrap().is_empty(), "{page}");
    // Without n8n a rollback of an org handing events to v2 still pauses the hand-off and
    // opens an incident.
    let (status, _) = crate::common::chatwoot::set_automation(
        &app,
        &key,
        "coronel",
        serde_json::json!({"mode": "v2", "v2_url": "http://127.0.0.1:9/v2"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let res = app.server_fn(&operator, "rollback_org", &[("slug", "coronel"), ("reason", "teste")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let report = json(res).await;
    assert_eq!(report["outcome"], "ok");
    assert!(report["incident_id"].is_i64());
    let res = app.server_fn(&operator, "roll_forward_org", &[("slug", "coronel")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "nothing to roll forward to without n8n");
    assert_eq!(
        app.server_fn(&operator, "create_org_token", &[("slug", "coronel"), ("name", "x")]).await.status(),
        StatusCode::FORBIDDEN
    );
    let admin = app.logged_in(Role::Admin).await;
    let res = app.server_fn(&admin, "create_org_token", &[("slug", "coronel"), ("name", "agente")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let made = json(res).await;
    assert!(made["token"].as_str().unwrap().starts_with("ponte_ot_"));
    let id = made["id"].to_string();
    assert_eq!(
        app.server_fn(&admin, "revoke_org_token", &[("slug", "coronel"), ("id", &id)]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.server_fn(&admin, "revoke_org_token", &[("slug", "coronel"), ("id", &id)]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.server_fn(&admin, "create_org_token", &[("slug", "coronel"), ("name", "")]).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

both_engines!(automation_page_roles);

/// Every org page shares one head: where you are and the org's navigation, with the page
/// in view marked (`aria-current`); an unknown org is a 404 with a way back.
async fn org_pages_share_one_navigation(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    crate::common::chatwoot::setup_org(&app, &key, "coronel").await;
    let viewer = app.logged_in(Role::Viewer).await;
    for (path, current) in [
        ("/orgs/coronel", "org-overview-link"),
        ("/orgs/coronel/events", "org-events-link"),
        ("/orgs/coronel/automation", "org-automation-link"),
        ("/orgs/coronel/contacts", "org-contacts-link"),
        ("/orgs/coronel/backfill", "org-backfill-link"),
        ("/orgs/coronel/reconciliation", "org-reconciliation-link"),
    ] {
        let res = app.page(&viewer, path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let html = res.text().await.unwrap();
        assert_eq!(html.matches("id=\"org-nav\"").count(), 1, "{path}: one org navigation");
        assert_eq!(html.matches("class=\"page-head\"").count(), 1, "{path}: one page head");
        let tag = html.split("<a").find(|a| a.contains(&format!("id=\"{current}\""))).unwrap_or_default();
        assert!(tag.contains("aria-current=\"page\""), "{path}: {current} is marked current: {tag}");
    }
    let res = app.page(&viewer, "/orgs/nenhuma/events").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("href=\"/orgs\""), "a way back from a 404");
    let res = app.page(&viewer, "/nada/aqui").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("id=\"not-found\""));
}

both_engines!(org_pages_share_one_navigation);

/// Old Portuguese route nouns and trailing slashes lead to the page's address (308, query
/// kept); machine paths are never redirected.
async fn old_and_trailing_slash_paths_are_redirected(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (from, to) in [
        ("/orgs/", "/orgs"),
        ("/orgs/coronel/", "/orgs/coronel"),
        ("/orgs/coronel/eventos", "/orgs/coronel/events"),
        ("/orgs/coronel/eventos/12?x=1", "/orgs/coronel/events/12?x=1"),
        ("/orgs/coronel/automacao", "/orgs/coronel/automation"),
        ("/orgs/coronel/contatos?importacao=3", "/orgs/coronel/contacts?importacao=3"),
        ("/orgs/coronel/reconciliacao/", "/orgs/coronel/reconciliation"),
    ] {
        let res = raw.get(app.url(from)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT, "{from}");
        assert_eq!(res.headers()["location"], to, "{from}");
    }
    // The root, and API paths with a slash, are left alone (an API client sees its mistake).
    let res = raw.get(app.url("/")).send().await.unwrap();
    assert_ne!(res.status(), StatusCode::PERMANENT_REDIRECT);
    let res = raw.get(app.url("/api/v1/admin/orgs/")).send().await.unwrap();
    assert_ne!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert!(res.status().is_client_error(), "{}", res.status());
    // A POST is never redirected (its body would be lost).
    let res = raw.post(app.url("/orgs/")).send().await.unwrap();
    assert_ne!(res.status(), StatusCode::PERMANENT_REDIRECT);
}

storage_free!(old_and_trailing_slash_paths_are_redirected);

/// One contact's card (the page step notes and reconciliation tasks link to): any role
/// reads it; a contact of another org, an unknown org or a bad id is not found.
async fn a_contact_card_by_role_and_org(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = app.admin_key().await;
    crate::common::chatwoot::setup_org(&app, &key, "coronel").await;
    crate::common::chatwoot::setup_org(&app, &key, "outra").await;
    crate::common::chatwoot::deliver(
        &app,
        "coronel",
        &crate::common::chatwoot::wa_message(1, 7, "5511987654321"),
        "d-1",
    )
    .await;
    let contact = eventually("the contact is created", || async {
        let contacts = crate::common::chatwoot::list(&app, &key, "coronel", "contacts").await;
        contacts.first().cloned().ok_or("no contact yet")
    })
    .await;
    let id = contact["id"].to_string();
    let viewer = app.logged_in(Role::Viewer).await;
    until("its deal and conversation are linked", || async {
        let card = json(app.server_fn(&viewer, "get_contact", &[("slug", "coronel"), ("id", &id)]).await).await;
        card["deals"].as_array().is_some_and(|d| !d.is_empty())
            && card["conversations"].as_array().is_some_and(|c| !c.is_empty())
    })
    .await;
    let card = json(app.server_fn(&viewer, "get_contact", &[("slug", "coronel"), ("id", &id)]).await).await;
    assert_eq!(card["contact"]["id"], contact["id"]);
    assert_eq!(card["identities"][0]["session_key"], "whatsapp:5511987654321");
    assert_eq!(card["conversations"][0]["chatwoot_conversation_id"], 7);
    let html = app.page(&viewer, &format!("/orgs/coronel/contacts/{id}")).await.text().await.unwrap();
    assert!(html.contains("id=\"contact-facts\"") && html.contains("whatsapp:5511987654321"), "{html}");
    assert!(html.contains("aberto"), "the deal's status in Portuguese");

    for (slug, bad_id, status) in [
        ("outra", id.as_str(), StatusCode::NOT_FOUND),
        ("nenhuma", id.as_str(), StatusCode::NOT_FOUND),
        ("coronel", "999999", StatusCode::NOT_FOUND),
    ] {
        let res = app.server_fn(&viewer, "get_contact", &[("slug", slug), ("id", bad_id)]).await;
        assert_eq!(res.status(), status, "{slug}/{bad_id}");
    }
    let res = app.server_fn(&viewer, "get_contact", &[("slug", "coronel"), ("id", "dois")]).await;
    assert!(res.status().is_client_error(), "a bad id: {}", res.status());
    let res = app.page(&viewer, "/orgs/outra/contacts/1").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.server_fn(&app.client(), "get_contact", &[("slug", "coronel"), ("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

both_engines!(a_contact_card_by_role_and_org);

/// Reconciliation decisions from the portal: viewers neither decide nor undo; an unknown
/// task (or one of another org) is not found; a bad id is refused with Ponte's error.
async fn reconciliation_actions_by_role(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    crate::common::chatwoot::setup_org(&app, &key, "coronel").await;
    let viewer = app.logged_in(Role::Viewer).await;
    for (f, form) in [
        ("resolve_task", vec![("slug", "coronel"), ("id", "1"), ("resolution", "kept")]),
        ("reopen_task", vec![("slug", "coronel"), ("id", "1")]),
    ] {
        assert_eq!(app.server_fn(&viewer, f, &form).await.status(), StatusCode::FORBIDDEN, "{f}");
    }
    let operator = app.logged_in(Role::Operator).await;
    let res = app.server_fn(&operator, "reopen_task", &[("slug", "coronel"), ("id", "999")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.server_fn(&operator, "reopen_task", &[("slug", "nenhuma"), ("id", "1")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.server_fn(&operator, "reopen_task", &[("slug", "coronel"), ("id", "um")]).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let body = json(res).await;
    assert!(!body.to_string().contains("deserialize"), "Ponte's words, not serde's: {body}");
}

both_engines!(reconciliation_actions_by_role);
