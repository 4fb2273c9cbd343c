//! Portal authentication through HTTP: login, sessions, roles, logout, the setup link.

use crate::common::*;
use app::model::Role;
use reqwest::StatusCode;

async fn wrong_password_and_unknown_user_get_the_same_401(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.create_user("ana@ponte.test", Role::Admin).await;
    let c = app.client();
    for (email, password) in [("ana@ponte.test", "senha-errada-123"), ("ninguem@ponte.test", PASSWORD)] {
        let res = app.server_fn(&c, "login", &[("email", email), ("password", password)]).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().get("set-cookie").is_none(), "no session on failure");
        let body = json(res).await;
        assert_eq!(error_code(&body), "invalid_credentials");
        assert_eq!(body["message"], "E-mail ou senha incorretos.");
    }
}

async fn login_with_bad_input_reports_each_field(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let c = app.client();
    let res = app.server_fn(&c, "login", &[("email", "não é e-mail"), ("password", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(res).await;
    assert_eq!(field_code(&body, "email").as_deref(), Some("email_invalid"));
    assert_eq!(field_code(&body, "password").as_deref(), Some("required"));
    // A missing argument altogether is a 4xx too, never a 500.
    let res = app.server_fn(&c, "login", &[("email", "a@b.co")]).await;
    assert!(res.status().is_client_error(), "got {}", res.status());
    let body = json(res).await;
    assert_eq!(field_code(&body, "password").as_deref(), Some("required"), "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("password") && !message.contains("missing field"), "{body}");
}

async fn login_sets_an_httponly_samesite_cookie_and_logout_ends_the_session(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.create_user("ana@ponte.test", Role::Operator).await;
    let c = app.client();
    let res = app.server_fn(&c, "login", &[("email", " ANA@ponte.test "), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers().get("set-cookie").expect("session cookie").to_str().unwrap().to_string();
    assert!(cookie.starts_with("ponte_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain HTTP on loopback: no Secure flag");
    let me = json(res).await;
    assert_eq!(me["email"], "ana@ponte.test");
    assert_eq!(me["role"], "operator");

    let res = app.server_fn(&c, "current_user", &[]).await;
    assert_eq!(json(res).await["email"], "ana@ponte.test");

    assert_eq!(app.server_fn(&c, "logout", &[]).await.status(), StatusCode::OK);
    let res = app.server_fn(&c, "list_orgs", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&json(res).await), "session_missing");
}

async fn cookie_is_secure_behind_tls(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.create_user("ana@ponte.test", Role::Viewer).await;
    let res = app
        .client()
        .post(app.url("/api/login"))
        .header("x-forwarded-proto", "https")
        .form(&[("email", "ana@ponte.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
}

async fn missing_and_expired_sessions_are_401_with_their_own_message(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let anon = app.client();
    let res = app.server_fn(&anon, "list_orgs", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body = json(res).await;
    assert_eq!(error_code(&body), "session_missing");
    assert_eq!(body["message"], "Entre para continuar.");

    let c = app.logged_in(Role::Viewer).await;
    assert_eq!(app.server_fn(&c, "list_orgs", &[]).await.status(), StatusCode::OK);
    app.services.clock.advance(13 * 3600 * 1000);
    let res = app.server_fn(&c, "list_orgs", &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body = json(res).await;
    assert_eq!(error_code(&body), "session_expired");
    assert_eq!(body["message"], "Sua sessão expirou. Entre novamente.");
    // A forged cookie is simply "no session".
    let forged = http();
    let res = forged.post(app.url("/api/list_orgs")).header("cookie", "ponte_session=abc123").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn roles_are_enforced_on_server_functions(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let form = [("slug", "loja-x"), ("name", "Loja X"), ("board_name", "Funil"), ("stages", "A\nB")];
    for role in [Role::Viewer, Role::Operator] {
        let app_role = app.logged_in(role).await;
        let res = app.server_fn(&app_role, "create_org", &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role:?} must not create orgs");
        let body = json(res).await;
        assert_eq!(error_code(&body), "forbidden");
        assert_eq!(body["message"], "Você não tem permissão para esta ação.");
        let res = app.server_fn(&app_role, "save_stage_template", &[("stages", "A")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // Reading is allowed.
        assert_eq!(app.server_fn(&app_role, "list_orgs", &[]).await.status(), StatusCode::OK);
    }
    let admin = app.logged_in(Role::Admin).await;
    assert_eq!(app.server_fn(&admin, "create_org", &form).await.status(), StatusCode::OK);
}

async fn pages_behind_login_redirect_anonymous_visitors(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    for path in ["/orgs", "/orgs/new", "/settings/template", "/"] {
        let res = app.page(&app.client(), path).await;
        assert_eq!(res.status(), StatusCode::FOUND, "{path}");
        assert_eq!(res.headers()["location"], "/login", "{path}");
    }
    let res = app.page(&app.client(), "/login").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Entrar no Ponte"), "login page in pt-BR");
    assert!(html.contains(r#"lang="pt-BR""#), "html lang is pt-BR");
}

async fn a_viewer_sees_pages_but_not_the_admin_form(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let c = app.logged_in(Role::Viewer).await;
    let res = app.page(&c, "/orgs").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Organizações"));
    assert!(!html.contains("id=\"new-org\""), "viewers get no 'new organization' button");
    for path in ["/orgs/new", "/settings/template"] {
        let res = app.page(&c, path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(res.text().await.unwrap().contains("Você não tem permissão"), "{path}");
    }
    let res = app.page(&c, "/nao-existe").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn setup_link_creates_the_first_admin_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    // The server made a link at start; tests make their own (a new one replaces it).
    let token = app::domain::auth::ensure_setup_token(&app.services).await.unwrap().expect("no users yet");
    let c = app.client();
    let page = app.page(&c, &format!("/setup?token={token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Criar administrador"));

    let bad = app
        .server_fn(
            &c,
            "complete_setup",
            &[("token", "nope"), ("email", "a@ponte.test"), ("name", "A"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(&json(bad).await), "setup_token_invalid");

    // A typo does not burn the link.
    let typo = app
        .server_fn(
            &c,
            "complete_setup",
            &[("token", &token), ("email", "a@ponte.test"), ("name", "A"), ("password", "curta")],
        )
        .await;
    assert_eq!(typo.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_code(&json(typo).await, "password").as_deref(), Some("password_too_short"));

    let ok = app
        .server_fn(
            &c,
            "complete_setup",
            &[("token", &token), ("email", "chefe@ponte.test"), ("name", "Chefe"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(json(ok).await["role"], "admin");
    // Logged in right away.
    assert_eq!(app.server_fn(&c, "list_orgs", &[]).await.status(), StatusCode::OK);

    let again = app
        .server_fn(
            &app.client(),
            "complete_setup",
            &[("token", &token), ("email", "b@ponte.test"), ("name", "B"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(&json(again).await), "setup_done");
    let page = app.page(&app.client(), &format!("/setup?token={token}")).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
}

async fn setup_link_expires(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app::domain::auth::ensure_setup_token(&app.services).await.unwrap().unwrap();
    app.services.clock.advance(25 * 3600 * 1000);
    let res = app
        .server_fn(
            &app.client(),
            "complete_setup",
            &[("token", &token), ("email", "a@ponte.test"), ("name", "A"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

both_engines!(
    wrong_password_and_unknown_user_get_the_same_401,
    login_with_bad_input_reports_each_field,
    login_sets_an_httponly_samesite_cookie_and_logout_ends_the_session,
    cookie_is_secure_behind_tls,
    missing_and_expired_sessions_are_401_with_their_own_message,
    roles_are_enforced_on_server_functions,
    pages_behind_login_redirect_anonymous_visitors,
    a_viewer_sees_pages_but_not_the_admin_form,
    setup_link_creates_the_first_admin_once,
    setup_link_expires,
);
