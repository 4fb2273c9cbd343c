//! Evidence downloads, roles and deletion, and the go-live record ("Liberar produção"):
//! the phases it needs, its bad inputs, the frozen snapshot and its hash, the lock it puts
//! on T-2/T0 evidence. On both engines and both evidence stores.

use crate::common::chatwoot::*;
use crate::common::*;
use crate::evidence::{file, png_of, stored_files, upload, use_store, Store, PNG};
use app::model::Role;
use reqwest::multipart::Form;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

async fn go_live(app: &TestApp, key: &str, body: Value) -> (StatusCode, Value) {
    admin_call(app, key, Method::POST, "orgs/coronel/go-live", Some(body)).await
}

/// Marks every T-2 and T0 item "not applicable" and moves the org to `activation`.
async fn complete_t2_and_t0(app: &TestApp, key: &str) {
    let (_, list) = admin_call(app, key, Method::GET, "orgs/coronel/onboarding", None).await;
    for phase in list["phases"].as_array().unwrap().iter().filter(|p| p["phase"] != "t_plus_1") {
        for item in phase["items"].as_array().unwrap() {
            let path = format!("orgs/coronel/onboarding/items/{}", item["key"].as_str().unwrap());
            let body = json!({"status": "not_applicable", "note": "fora do escopo do teste"});
            let (status, body) = admin_call(app, key, Method::PUT, &path, Some(body)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        if phase["phase"] == "t_minus_2" {
            for to in ["pre_activation", "activation"] {
                let (status, body) =
                    admin_call(app, key, Method::PUT, "orgs/coronel/onboarding/state", Some(json!({"state": to})))
                        .await;
                assert_eq!(status, StatusCode::OK, "{to}: {body}");
            }
        }
    }
}

async fn evidence_downloads_roles_and_go_live(engine: Engine, store: Store) {
    let app = TestApp::spawn_with(engine, |c| use_store(store, c)).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    create_org(&app, &key, "outra").await;
    let png = png_of(2048);
    let form = Form::new().text("item", "chatwoot_account").part("file", file(png.clone(), "perfil \"admin\" ção.png"));
    let (status, body) = upload(&app, &key, "coronel", form).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let png_id = body[0]["id"].as_i64().unwrap();
    let log = b"10:00:01 webhook aceito\n".to_vec();
    let (_, body) = upload(&app, &key, "coronel", Form::new().part("file", file(log.clone(), "pipeline.log"))).await;
    let log_id = body[0]["id"].as_i64().unwrap();

    // The API download: the stored bytes, typed by content, saved rather than opened.
    let res = http()
        .get(app.url(&format!("/api/v1/admin/orgs/coronel/evidence/{png_id}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"), "{h:?}");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"perfil _admin_ __o.png\""), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''perfil%20%22admin%22%20%C3%A7%C3%A3o.png"), "{disposition}");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);

    // The portal's: any role may look, inline only when asked (the preview); nobody without
    // a session, and one org's file is not found through another org.
    let viewer = app.logged_in(Role::Viewer).await;
    let portal = |slug: &str, id: i64, q: &str| app.url(&format!("/portal/orgs/{slug}/evidence/{id}{q}"));
    let res = viewer.get(portal("coronel", log_id, "?inline=1")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("inline;"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), log);
    let res = viewer.get(portal("coronel", log_id, "")).send().await.unwrap();
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(http().get(portal("coronel", log_id, "")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(viewer.get(portal("outra", png_id, "")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    for bad in ["abc", "0", "-1", "99999"] {
        let url = app.url(&format!("/portal/orgs/coronel/evidence/{bad}"));
        assert_eq!(viewer.get(url).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{bad}");
    }

    // Viewers see, operators add (the portal's upload, one file a request), admins delete.
    let portal_upload = |client: &reqwest::Client, item: &str, bytes: Vec<u8>, name: &str| {
        client
            .post(app.url("/portal/orgs/coronel/evidence"))
            .multipart(Form::new().text("item", item.to_string()).part("file", file(bytes, name)))
            .send()
    };
    let res = portal_upload(&viewer, "board_stages", png_of(100), "a.png").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let operator = app.logged_in(Role::Operator).await;
    let res = portal_upload(&operator, "board_stages", png_of(300), "etapas.png").await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let board_png = json(res).await[0].clone();
    let page = json(app.server_fn(&viewer, "org_evidence", &[("slug", "coronel")]).await).await;
    assert_eq!(page["files"].as_array().unwrap().len(), 3, "{page}");
    assert_eq!((page["can_add"].as_bool(), page["can_delete"].as_bool()), (Some(false), Some(false)));
    let id = board_png["id"].to_string();
    let res = app.server_fn(&operator, "delete_evidence", &[("slug", "coronel"), ("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let admin = app.logged_in(Role::Admin).await;
    let page = json(app.server_fn(&admin, "org_evidence", &[("slug", "coronel")]).await).await;
    assert_eq!(page["can_delete"], true);
    let objects = stored_files(&app).await.len();
    let res = app.server_fn(&admin, "delete_evidence", &[("slug", "coronel"), ("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(stored_files(&app).await.len(), objects - 1, "the object went with the row");
    let res = app.server_fn(&admin, "delete_evidence", &[("slug", "outra"), ("id", &png_id.to_string())]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another org's file");

    // Go-live: refused while T-2/T0 are open (naming the items), and each bad input with
    // its field.
    let owner = "operator@ponte.test";
    let (status, body) = go_live(&app, &key, json!({"target": "pilot", "technical_owner": owner})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "phase_incomplete");
    assert_eq!(body["error"]["details"]["items"].as_array().unwrap().len(), 10, "{body}");
    for (input, field, code) in [
        (json!({"target": "ativo", "technical_owner": owner}), "target", "lifecycle_invalid"),
        (json!({"target": "", "technical_owner": owner}), "target", "required"),
        (json!({"target": "pilot", "technical_owner": "ninguem@ponte.test"}), "technical_owner", "user_unknown"),
        (json!({"target": "pilot", "technical_owner": ""}), "technical_owner", "required"),
        (json!({"target": "pilot", "technical_owner": owner, "live_at": "ontem"}), "live_at", "instant_invalid"),
        (
            json!({"target": "pilot", "technical_owner": owner, "live_at": "2099-01-01T10:00"}),
            "live_at",
            "instant_in_future",
        ),
    ] {
        let (status, body) = go_live(&app, &key, input.clone()).await;
        assert_eq!(
            (status, field_code(&body, field).as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{input}"
        );
    }
    let (status, body) = go_live(&app, &key, json!({"target": "pilot", "technical_owner": owner, "force": true})).await;
    assert_eq!((status, field_code(&body, "reason").as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("required")));
    let (status, _) = go_live(&app, &key, json!({"target": "pilot", "technical_owner": owner, "extra": 1})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "unknown field");
    // An operator cannot override through the wizard.
    let res = app
        .server_fn(
            &operator,
            "wizard_advance",
            &[
                ("slug", "coronel"),
                ("step", "release"),
                ("target", "pilot"),
                ("technical_owner", owner),
                ("force", "true"),
                ("reason", "urgente"),
            ],
        )
        .await;
    assert!(matches!(res.status(), StatusCode::CONFLICT | StatusCode::FORBIDDEN), "{}", res.status());
    let (_, record) = admin_call(&app, &key, Method::GET, "orgs/coronel/go-live", None).await;
    assert_eq!(record["error"]["code"], "not_found", "nothing recorded by the refusals");

    complete_t2_and_t0(&app, &key).await;
    let (status, record) = go_live(
        &app,
        &key,
        json!({"target": "pilot", "technical_owner": "OPERATOR@ponte.test", "live_at": "2026-12-07T09:30"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    assert_eq!(record["target"], "pilot");
    assert_eq!(record["technical_owner"], "operator@ponte.test");
    assert!(record["approver"].as_str().unwrap().starts_with("api_key:"), "{record}");
    assert_eq!(record["override_reason"], Value::Null);
    assert_eq!(record["intact"], true);
    // 09:30 in São Paulo is 12:30 UTC.
    assert_eq!(record["live_at"], 1_796_646_600_000i64);
    let (_, list) = admin_call(&app, &key, Method::GET, "orgs/coronel/onboarding", None).await;
    assert_eq!((list["lifecycle"].as_str(), list["activated_at"].as_i64()), (Some("pilot"), Some(1_796_646_600_000)));
    let (status, body) = go_live(&app, &key, json!({"target": "active", "technical_owner": owner})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("go_live_exists")));
    let audit = app::domain::store::audit::recent(&app.services.db, None, 200).await.unwrap();
    assert_eq!(audit.iter().filter(|a| a.action == "org.go_live").count(), 1);

    // The snapshot, byte for byte as hashed, holds every item and every file's hash.
    let res =
        http().get(app.url("/api/v1/admin/orgs/coronel/go-live/snapshot.json")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-snapshot-sha256"], record["snapshot_sha256"].as_str().unwrap());
    let text = res.text().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(text.as_bytes())), record["snapshot_sha256"].as_str().unwrap());
    let snap: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(snap["checklist"].as_array().unwrap().len(), 13);
    let hashes: Vec<&str> =
        snap["evidence"].as_array().unwrap().iter().map(|e| e["sha256"].as_str().unwrap()).collect();
    assert_eq!(hashes, [hex::encode(Sha256::digest(&png)), hex::encode(Sha256::digest(&log))]);
    let res = viewer.get(app.url("/portal/orgs/coronel/go-live/snapshot.json")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), text, "the portal serves the same bytes");

    // T-2/T0 evidence is locked now (nothing stored by the refusal); T+1 and the org's go on.
    let objects = stored_files(&app).await.len();
    let form = Form::new().text("item", "chatwoot_account").part("file", file(png_of(4096), "depois.png"));
    let (status, body) = upload(&app, &key, "coronel", form).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("evidence_locked")));
    assert_eq!(stored_files(&app).await.len(), objects);
    let form = Form::new().text("item", "logs_audited").part("file", file(b"auditoria ok\n".to_vec(), "t1.log"));
    assert_eq!(upload(&app, &key, "coronel", form).await.0, StatusCode::CREATED);
    let (status, body) = admin_call(&app, &key, Method::DELETE, &format!("orgs/coronel/evidence/{log_id}"), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("evidence_locked")));
    let page = json(app.server_fn(&admin, "org_evidence", &[("slug", "coronel")]).await).await;
    assert_eq!(page["can_delete"], false, "not after go-live");

    // Anyone can tell an altered snapshot: the record says so.
    exec(&app, "UPDATE go_live SET snapshot = replace(snapshot, 'not_applicable', 'ok')").await;
    let (_, record) = admin_call(&app, &key, Method::GET, "orgs/coronel/go-live", None).await;
    assert_eq!(record["intact"], false, "{record}");
    assert!(PNG.len() < 100);
}

async fn go_live_on_a_local_folder(engine: Engine) {
    evidence_downloads_roles_and_go_live(engine, Store::Local).await
}
async fn go_live_on_s3(engine: Engine) {
    evidence_downloads_roles_and_go_live(engine, Store::S3).await
}

/// An admin may release with items open, with a reason that the record keeps.
async fn an_admin_overrides_an_open_checklist_with_a_reason(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    for to in ["pre_activation", "activation"] {
        let body = json!({"state": to, "force": true, "reason": "teste"});
        assert_eq!(
            admin_call(&app, &key, Method::PUT, "orgs/coronel/onboarding/state", Some(body)).await.0,
            StatusCode::OK
        );
    }
    app.logged_in(Role::Operator).await;
    let admin = app.logged_in(Role::Admin).await;
    let form = [
        ("slug", "coronel"),
        ("step", "release"),
        ("target", "active"),
        ("technical_owner", "operator@ponte.test"),
        ("force", "true"),
        ("reason", "cliente pediu; smoke refeito amanhã"),
    ];
    // The wizard refuses while earlier steps are open: the API record is the override's path.
    let res = app.server_fn(&admin, "wizard_advance", &form).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body =
        json!({"target": "active", "technical_owner": "operator@ponte.test", "force": true, "reason": "cliente pediu"});
    let (status, record) = go_live(&app, &key, body).await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    assert_eq!(record["override_reason"], "cliente pediu");
    let (_, list) = admin_call(&app, &key, Method::GET, "orgs/coronel/onboarding", None).await;
    assert_eq!(list["lifecycle"], "active");
    let audit = app::domain::store::audit::recent(&app.services.db, None, 200).await.unwrap();
    let entry = audit.iter().find(|a| a.action == "org.go_live").expect("audited");
    assert!(entry.detail.contains("cliente pediu") && entry.detail.contains("smoke_whatsapp"), "{}", entry.detail);
}

both_engines!(go_live_on_a_local_folder, go_live_on_s3, an_admin_overrides_an_open_checklist_with_a_reason);

/// Reads an XLSX with openpyxl (the test command's Python): every sheet's rows as text.
fn read_xlsx(bytes: &[u8]) -> Value {
    let python = std::env::var("PONTE_TEST_PYTHON")
        .expect("PONTE_TEST_PYTHON is not set: run the tests through scripts/test.sh, which installs openpyxl");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("planilha.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let script = "import json, sys, openpyxl\n\
                  wb = openpyxl.load_workbook(sys.argv[1])\n\
                  out = {ws.title: [[('' if c is None else c) for c in row] for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}\n\
                  types = sorted({type(c).__name__ for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None and c.data_type != 's'})\n\
                  print(json.dumps({'sheets': out, 'not_text': types}))";
    let out = std::process::Command::new(python).args(["-c", script]).arg(&path).output().expect("python runs");
    assert!(out.status.success(), "openpyxl: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The planilha: the checklist with who/when/note/check/evidence and a summary sheet with
/// the go-live; the board, one row per org; formulas written as text; on both engines.
async fn the_onboarding_spreadsheet_and_the_board_export(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = app.admin_key().await;
    let res = http()
        .post(app.url("/api/v1/admin/orgs"))
        .bearer_auth(&key)
        .json(&json!({"slug": "coronel", "name": "=HYPERLINK(\"http://mal.example\",\"Coronel\")"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    create_org(&app, &key, "outra").await;
    let log = b"10:00 conta ok\n".to_vec();
    let form = Form::new().text("item", "chatwoot_account").part("file", file(log.clone(), "conta.log"));
    assert_eq!(upload(&app, &key, "coronel", form).await.0, StatusCode::CREATED);
    app.logged_in(Role::Operator).await;
    complete_t2_and_t0(&app, &key).await;
    let note = json!({"status": "not_applicable", "note": "+55 11 99999-0000 @equipe =1+1"});
    let (status, _) =
        admin_call(&app, &key, Method::PUT, "orgs/coronel/onboarding/items/board_stages", Some(note)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, record) =
        go_live(&app, &key, json!({"target": "pilot", "technical_owner": "operator@ponte.test"})).await;
    assert_eq!(status, StatusCode::CREATED, "{record}");

    let get = |path: &str| http().get(app.url(&format!("/api/v1/admin/{path}"))).bearer_auth(&key).send();
    let res = get("orgs/coronel/onboarding/export.xlsx").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("checklist-coronel.xlsx"));
    let book = read_xlsx(&res.bytes().await.unwrap());
    assert_eq!(book["not_text"], json!([]), "every cell is text: {book}");
    let summary = &book["sheets"]["Resumo"];
    let value = |label: &str| {
        summary.as_array().unwrap().iter().find(|r| r[0] == label).map(|r| r[1].as_str().unwrap().to_string())
    };
    assert_eq!(value("Organização").unwrap(), "'=HYPERLINK(\"http://mal.example\",\"Coronel\") (coronel)");
    assert_eq!(value("Responsável técnico").as_deref(), Some("operator@ponte.test"));
    assert_eq!(value("Hash do registro congelado (sha256)").as_deref(), record["snapshot_sha256"].as_str());
    assert_eq!(value("Estado").as_deref(), Some("Piloto"));
    assert!(!value("Produção liberada em").unwrap().is_empty());
    let rows = book["sheets"]["Checklist"].as_array().unwrap();
    assert_eq!(rows[0][0], "Fase");
    assert_eq!(rows.len(), 1 + 13, "a header and the 13 items: {rows:?}");
    let account = rows.iter().find(|r| r[1] == "Conta do Chatwoot e permissão de administrador").unwrap();
    assert_eq!(account[0], "T-2 pré-ativação");
    assert_eq!(account[2], "Não se aplica");
    assert!(account[3].as_str().unwrap().starts_with("api_key:"), "{account:?}");
    let sha = hex::encode(Sha256::digest(&log));
    assert!(account[7].as_str().unwrap().contains(&format!("conta.log sha256:{sha}")), "{account:?}");
    let board = rows.iter().find(|r| r[1] == "Funil e etapas esperadas").map(|r| r[5].clone());
    assert_eq!(board, Some(json!("'+55 11 99999-0000 @equipe =1+1")), "{rows:?}");

    let res = get("orgs/coronel/onboarding/export.csv").await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("Fase,Item,Status,Quem,Quando"), "{csv}");
    assert!(csv.contains("'+55 11 99999-0000 @equipe =1+1"), "{csv}");
    assert_eq!(get("orgs/coronel/onboarding/export.pdf").await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(get("orgs/ninguem/onboarding/export.csv").await.unwrap().status(), StatusCode::NOT_FOUND);

    // The board: one row per org, the go-live hash on the org that has one; the board's filters.
    let book = read_xlsx(&get("rollout/export.xlsx").await.unwrap().bytes().await.unwrap());
    let rows = book["sheets"]["Painel"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let coronel = rows.iter().find(|r| r[1] == "coronel").unwrap();
    assert_eq!(coronel[0], "'=HYPERLINK(\"http://mal.example\",\"Coronel\")");
    assert_eq!(coronel[10], record["snapshot_sha256"]);
    let csv = get("rollout/export.csv?state=pilot").await.unwrap().text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "the header and coronel: {csv}");
    assert_eq!(get("rollout/export.csv?state=ligado").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The portal's: any role's session, none without.
    let viewer = app.logged_in(Role::Viewer).await;
    let res = viewer.get(app.url("/portal/orgs/coronel/onboarding/export.xlsx")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = http().get(app.url("/portal/rollout/export.csv")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

both_engines!(the_onboarding_spreadsheet_and_the_board_export);
