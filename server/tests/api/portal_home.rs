//! The org's home page: its rollout, its Chatwoot connection (webhook URL, inboxes, last
//! event, and the deliveries Ponte refused with why), its automation, and the forms that
//! configure them, by role, with what each bad input gets.

use crate::common::chatwoot::*;
use crate::common::fake_chatwoot::*;
use crate::common::*;
use app::model::Role;
use reqwest::StatusCode;
use serde_json::json;

/// A delivery signed with the wrong secret, at the app's clock.
async fn deliver_badly_signed(app: &TestApp, slug: &str, delivery: &str) -> StatusCode {
    let body = serde_json::to_vec(&wa_message(1, 1, "5511987650000")).unwrap();
    let ts = (app.services.now() / 1000).to_string();
    http()
        .post(app.url(&format!("/webhooks/chatwoot/{slug}")))
        .header("content-type", "application/json")
        .header("x-chatwoot-delivery", delivery)
        .header("x-chatwoot-timestamp", &ts)
        .header("x-chatwoot-signature", app::domain::chatwoot::signature::sign("segredo-errado", &ts, &body))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn home(app: &TestApp, c: &reqwest::Client, slug: &str) -> serde_json::Value {
    let res = app.server_fn(c, "org_home", &[("slug", slug)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    json(res).await
}

async fn the_home_names_the_refused_deliveries_and_the_last_event(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(0);
        c.public_url = Some("https://ponte.exemplo.com.br".into());
    })
    .await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    create_org(&app, &key, "sem-segredo").await;
    let viewer = app.logged_in(Role::Viewer).await;

    let h = home(&app, &viewer, "coronel").await;
    assert_eq!(h["webhook_url"], "https://ponte.exemplo.com.br/webhooks/chatwoot/coronel");
    assert_eq!(h["refusals"], json!([]));
    assert!(h["last_event"].is_null());
    assert_eq!(h["phases"].as_array().unwrap().len(), 3);

    // A wrong secret, retried by Chatwoot: each one refused, recorded (folded) for the page.
    for i in 0..3 {
        assert_eq!(deliver_badly_signed(&app, "coronel", &format!("d-bad-{i}")).await, StatusCode::UNAUTHORIZED);
    }
    app.services.clock.advance(2_000);
    assert_eq!(deliver_badly_signed(&app, "coronel", "d-bad-3").await, StatusCode::UNAUTHORIZED);
    // An org without a secret refuses everything, and says so on its page.
    let (status, _) = deliver(&app, "sem-segredo", &wa_message(2, 2, "5511987650001"), "d-nosecret").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A good delivery is the last event.
    let (status, ack) = deliver(&app, "coronel", &wa_message(3, 3, "5511987650002"), "d-good").await;
    assert_eq!(status, StatusCode::OK);

    let h = home(&app, &viewer, "coronel").await;
    let refusals = h["refusals"].as_array().unwrap();
    assert_eq!(refusals.len(), 1, "one reason, folded: {refusals:?}");
    assert_eq!(refusals[0]["code"], "signature_invalid");
    assert_eq!(refusals[0]["count"], 4, "every refusal counted: {refusals:?}");
    assert_eq!(refusals[0]["delivery_id"], "d-bad-3");
    assert_eq!(h["last_event"]["id"], ack["event_id"]);
    assert_eq!(h["last_event"]["event"], "message_created");
    let other = home(&app, &viewer, "sem-segredo").await;
    assert_eq!(other["refusals"][0]["code"], "webhook_not_configured");
    assert!(other["last_event"].is_null(), "one org's events never show on another's page");

    // The page says it in Portuguese.
    let html = app.page(&viewer, "/orgs/coronel").await.text().await.unwrap();
    assert!(
        html.contains("Entregas recusadas") && html.contains("https://ponte.exemplo.com.br/webhooks/chatwoot/coronel")
    );
    assert!(html.contains(app::model::ErrorCode::SignatureInvalid.message()), "the reason in words");
    let res = app.server_fn(&viewer, "org_home", &[("slug", "nenhuma")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn the_home_forms_validate_like_the_api_by_role(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    let viewer = app.logged_in(Role::Viewer).await;
    let operator = app.logged_in(Role::Operator).await;
    let admin = app.logged_in(Role::Admin).await;
    let chatwoot = |base: &'static str, account: &'static str| {
        vec![("slug", "coronel"), ("base_url", base), ("account_id", account), ("auth_mode", "signature")]
    };
    for (f, form) in [
        ("rename_org", vec![("slug", "coronel"), ("name", "Coronel")]),
        ("save_chatwoot", chatwoot("https://chat.exemplo.com", "7")),
        (
            "save_automation",
            vec![("slug", "coronel"), ("mode", "paused"), ("v2_url", ""), ("fallback_url", ""), ("timeout_ms", "")],
        ),
        ("save_n8n", vec![("slug", "coronel"), ("base_url", "http://127.0.0.1:1"), ("api_key", "k")]),
        ("inbox_choices", vec![("slug", "coronel")]),
    ] {
        assert_eq!(app.server_fn(&viewer, f, &form).await.status(), StatusCode::FORBIDDEN, "{f} as a viewer");
    }
    assert_eq!(
        app.server_fn(&operator, "archive_org", &[("slug", "coronel"), ("archived", "true")]).await.status(),
        StatusCode::FORBIDDEN,
        "archiving is for administrators"
    );

    // Each bad field gets its code, as the admin API answers it.
    // (server function, form, field refused, code)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        ("rename_org", vec![("slug", "coronel"), ("name", "  ")], "name", "required"),
        ("save_chatwoot", chatwoot("ftp://chat", "7"), "base_url", "url_invalid"),
        ("save_chatwoot", chatwoot("https://chat.exemplo.com", "sete"), "account_id", "number_invalid"),
        (
            "save_chatwoot",
            vec![
                ("slug", "coronel"),
                ("base_url", "https://chat.exemplo.com"),
                ("account_id", "7"),
                ("auth_mode", "senha"),
            ],
            "auth_mode",
            "auth_mode_invalid",
        ),
        (
            "save_automation",
            vec![("slug", "coronel"), ("mode", "turbo"), ("v2_url", ""), ("fallback_url", ""), ("timeout_ms", "")],
            "mode",
            "mode_invalid",
        ),
        (
            "save_automation",
            vec![
                ("slug", "coronel"),
                ("mode", "paused"),
                ("v2_url", ""),
                ("fallback_url", ""),
                ("timeout_ms", "rápido"),
            ],
            "timeout_ms",
            "number_invalid",
        ),
        ("save_n8n", vec![("slug", "coronel"), ("base_url", "n8n"), ("api_key", "k")], "base_url", "url_invalid"),
    ];
    for (f, form, field, code) in cases {
        let res = app.server_fn(&operator, f, &form).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{f} {form:?}");
        let body = json(res).await;
        assert_eq!(field_code(&body, field).as_deref(), Some(code), "{f} {form:?}: {body}");
    }

    // Good forms save; a blank secret keeps the stored one (never shown).
    let mut form = chatwoot("https://chat.exemplo.com", "7");
    form.extend([
        ("api_token", "tok-1"),
        ("webhook_secret", "s3gredo-do-webhook-de-teste"),
        ("inboxes[12]", "whatsapp"),
        ("inboxes[13]", "instagram"),
        ("inboxes[15]", ""),
    ]);
    let res = app.server_fn(&operator, "save_chatwoot", &form).await;
    let status = res.status();
    let view = json(res).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        (view["has_api_token"].as_bool(), view["has_webhook_secret"].as_bool()),
        (Some(true), Some(true)),
        "{view}"
    );
    assert_eq!(view["inboxes"], json!({"12": "whatsapp", "13": "instagram"}), "a blank choice maps nothing");
    assert!(
        !view.to_string().contains("s3gredo-do-webhook") && !view.to_string().contains("tok-1"),
        "secrets never read back"
    );
    let res = app
        .server_fn(
            &operator,
            "save_chatwoot",
            &[
                ("slug", "coronel"),
                ("base_url", "https://chat2.exemplo.com"),
                ("account_id", "8"),
                ("auth_mode", "signature"),
                ("api_token", ""),
                ("webhook_secret", ""),
            ],
        )
        .await;
    let view = json(res).await;
    assert_eq!(
        (view["has_api_token"].as_bool(), view["has_webhook_secret"].as_bool()),
        (Some(true), Some(true)),
        "kept: {view}"
    );
    assert_eq!(
        view["inboxes"],
        json!({"12": "whatsapp", "13": "instagram"}),
        "no inbox list in the form keeps the map"
    );

    let res = app.server_fn(&operator, "rename_org", &[("slug", "coronel"), ("name", "Coronel Picanha Centro")]).await;
    assert_eq!(json(res).await["name"], "Coronel Picanha Centro");
    let res = app.server_fn(&admin, "archive_org", &[("slug", "coronel"), ("archived", "true")]).await;
    assert_eq!(json(res).await["archived"], true);
    let html = app.page(&admin, "/orgs/coronel").await.text().await.unwrap();
    assert!(html.contains("archived-notice") && html.contains("Restaurar organização"));
    let res = app.server_fn(&admin, "archive_org", &[("slug", "coronel"), ("archived", "false")]).await;
    assert_eq!(json(res).await["archived"], false);
    let audit = app::domain::store::audit::recent(&app.services.db, None, 50).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "org.update" && a.actor == "user:admin@ponte.test"));
}

/// The inbox map form lists what the org's Chatwoot has, proposes a channel by type, and
/// says why when the list cannot be had.
async fn the_inbox_map_form_lists_chatwoots_inboxes(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    let operator = app.logged_in(Role::Operator).await;
    let choices = json(app.server_fn(&operator, "inbox_choices", &[("slug", "coronel")]).await).await;
    assert_eq!(choices["inboxes"], json!([]));
    assert_eq!(choices["error"]["code"], "check_chatwoot_not_configured", "{choices}");

    let fake = FakeChatwoot::start().await;
    let acct = ACCOUNT.to_string();
    let form = [
        ("slug", "coronel"),
        ("base_url", fake.base.as_str()),
        ("account_id", acct.as_str()),
        ("auth_mode", "signature"),
        ("api_token", ADMIN_TOKEN),
        ("inboxes[12]", "whatsapp"),
    ];
    assert_eq!(app.server_fn(&operator, "save_chatwoot", &form).await.status(), StatusCode::OK);
    let choices = json(app.server_fn(&operator, "inbox_choices", &[("slug", "coronel")]).await).await;
    assert!(choices["error"].is_null(), "{choices}");
    let inboxes = choices["inboxes"].as_array().unwrap();
    let by_id = |id: i64| inboxes.iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("inbox {id} in {choices}"));
    assert_eq!((by_id(12)["proposed"].as_str(), by_id(12)["mapped"].as_str()), (Some("whatsapp"), Some("whatsapp")));
    assert_eq!((by_id(13)["proposed"].as_str(), by_id(13)["mapped"].as_str()), (Some("instagram"), None));
    assert_eq!(by_id(API_INBOX)["channel"], "Api");
    assert!(by_id(API_INBOX)["proposed"].is_null(), "an API inbox is the operator's call");

    // A wrong token is said in words where the list would be, not as a failure.
    let form = [
        ("slug", "coronel"),
        ("base_url", fake.base.as_str()),
        ("account_id", acct.as_str()),
        ("auth_mode", "signature"),
        ("api_token", "token-errado"),
    ];
    assert_eq!(app.server_fn(&operator, "save_chatwoot", &form).await.status(), StatusCode::OK);
    let choices = json(app.server_fn(&operator, "inbox_choices", &[("slug", "coronel")]).await).await;
    assert!(choices["error"]["code"].as_str().is_some_and(|c| c.contains("token")), "{choices}");
}

both_engines!(
    the_home_names_the_refused_deliveries_and_the_last_event,
    the_home_forms_validate_like_the_api_by_role,
    the_inbox_map_form_lists_chatwoots_inboxes,
);
