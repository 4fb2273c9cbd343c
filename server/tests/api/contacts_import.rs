//! Contacts import on both engines: a client's CSV through the admin API (raw body and
//! multipart) and the portal's upload form; every bad row reported with its line and
//! reason; re-importing the same file creates nothing; files larger than the JSON body
//! limit stream through; bad files refused whole; one org never sees another's imports.

use crate::common::chatwoot::*;
use crate::common::*;
use app::model::Role;
use reqwest::StatusCode;

async fn setup(engine: Engine) -> (TestApp, String) {
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(0);
        c.backfill_runners = Some(0);
    })
    .await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    setup_org(&app, &key, "outra").await;
    (app, key)
}

async fn post_csv(app: &TestApp, key: &str, slug: &str, body: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let res = http()
        .post(app.url(&format!("/api/v1/admin/orgs/{slug}/contacts/import")))
        .bearer_auth(key)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, json(res).await)
}

async fn report(app: &TestApp, key: &str, slug: &str, id: &serde_json::Value) -> String {
    let res = http()
        .get(app.url(&format!("/api/v1/admin/orgs/{slug}/contacts/imports/{id}/report")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

/// A Brazilian spreadsheet export: `;`, a BOM, Portuguese headers in another order, an
/// extra column, one Latin-1 cell, and one row of each kind of mistake.
fn spreadsheet() -> Vec<u8> {
    let mut f = b"\xEF\xBB\xBFID Externo;Nome;Observa\xC3\xA7\xC3\xB5es;Telefone;E-mail\r\n".to_vec();
    f.extend_from_slice(b"crm-1;Maria Souza;cliente antiga;(11) 98765-4321;maria@example.com\r\n");
    f.extend_from_slice(b"crm-2;Jo\xe3o Lima;;+55 21 99876-5432;\r\n"); // Latin-1 "João"
    f.extend_from_slice(b"crm-3;Ana;;0800;ana@example.com\r\n"); // invalid phone: taken, with a warning
    f.extend_from_slice(b"crm-4;Pedro;;11 97777-6666;pedro@\r\n"); // bad e-mail: rejected
    f.extend_from_slice(b";;observacao solta;;\r\n"); // nothing to import: rejected
    f.extend_from_slice(b"crm-6;Curta;;11 96666-5555\r\n"); // a column short: rejected
    f.extend_from_slice(b"crm-1;Maria de novo;;11 95555-4444;\r\n"); // the same external id again: rejected
    f.extend_from_slice(b";Sem id;;(31) 98888-7777;\r\n"); // no external id: keyed by phone
    f
}

async fn a_spreadsheet_is_imported_with_a_report_of_every_bad_row(engine: Engine) {
    let (app, key) = setup(engine).await;
    let (status, first) = post_csv(&app, &key, "coronel", spreadsheet()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["status"], "done");
    assert_eq!(
        (
            first["rows_read"].as_i64(),
            first["created"].as_i64(),
            first["rejected"].as_i64(),
            first["warnings"].as_i64()
        ),
        (Some(8), Some(4), Some(4), Some(1)),
        "{first}"
    );
    let contacts = list(&app, &key, "coronel", "contacts").await;
    assert_eq!(contacts.len(), 4);
    let joao = contacts.iter().find(|c| c["external_ref"] == "crm-2").unwrap();
    assert_eq!(joao["name"], "João Lima", "Latin-1 read as Latin-1");
    assert_eq!(joao["phone"], "+55 21 99876-5432", "phones are kept as typed; the backfill normalizes them");
    let maria = contacts.iter().find(|c| c["external_ref"] == "crm-1").unwrap();
    assert_eq!((maria["name"].as_str(), maria["email"].as_str()), (Some("Maria Souza"), Some("maria@example.com")));

    let csv = report(&app, &key, "coronel", &first["id"]).await;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "linha,nivel,codigo,mensagem,conteudo");
    let codes: Vec<(String, String)> = lines[1..]
        .iter()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_string(), cells[2].to_string())
        })
        .collect();
    let expected = [
        ("4", "phone_invalid"),
        ("5", "email_invalid"),
        ("6", "empty"),
        ("7", "column_count"),
        ("8", "duplicate_external_id"),
    ];
    for (line, code) in expected {
        assert!(codes.contains(&(line.to_string(), code.to_string())), "line {line} {code} missing from:\n{csv}");
    }
    assert_eq!(codes.len(), 5, "{csv}");

    // The same file again: nothing new, nothing changed.
    let (_, again) = post_csv(&app, &key, "coronel", spreadsheet()).await;
    assert_eq!(
        (again["created"].as_i64(), again["updated"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(0), Some(4))
    );
    assert_eq!(list(&app, &key, "coronel", "contacts").await.len(), 4, "re-import does not duplicate");
    // The client's CRM changed a phone: the contact is updated, not duplicated.
    let changed = b"id_externo,nome,telefone\ncrm-2,Jo\xc3\xa3o Lima,+55 21 91111-2222\n".to_vec();
    let (_, upd) = post_csv(&app, &key, "coronel", changed).await;
    assert_eq!((upd["created"].as_i64(), upd["updated"].as_i64()), (Some(0), Some(1)), "{upd}");
    let joao = list(&app, &key, "coronel", "contacts?q=Lima").await;
    assert_eq!((joao.len(), joao[0]["phone"].as_str()), (1, Some("+55 21 91111-2222")));
    // History, newest first.
    let res =
        http().get(app.url("/api/v1/admin/orgs/coronel/contacts/imports")).bearer_auth(&key).send().await.unwrap();
    let history = json(res).await;
    assert_eq!(history.as_array().unwrap().len(), 3);
    assert_eq!(history[2]["id"], first["id"]);

    // Another org sees none of it.
    assert!(list(&app, &key, "outra", "contacts").await.is_empty());
    let res = http()
        .get(app.url(&format!("/api/v1/admin/orgs/outra/contacts/imports/{}", first["id"])))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = http()
        .get(app.url(&format!("/api/v1/admin/orgs/outra/contacts/imports/{}/report", first["id"])))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn bad_files_are_refused_whole_with_a_reason(engine: Engine) {
    let (app, key) = setup(engine).await;
    // No recognizable header.
    let (status, body) = post_csv(&app, &key, "coronel", b"foo,bar\n1,2\n".to_vec()).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "csv_header_invalid"));
    // Only an external id: nothing to import per row.
    let (status, _) = post_csv(&app, &key, "coronel", b"id_externo\n1\n".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Empty body.
    let (status, body) = post_csv(&app, &key, "coronel", Vec::new()).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "csv_file_missing"));
    // JSON is not a CSV.
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/contacts/import"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"rows": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A multipart form without the file field.
    let form = reqwest::multipart::Form::new().text("other", "x");
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/contacts/import"))
        .bearer_auth(&key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // No key, unknown org.
    let res =
        http().post(app.url("/api/v1/admin/orgs/coronel/contacts/import")).body("nome\nA\n").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = post_csv(&app, &key, "nenhuma", b"nome\nA\n".to_vec()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An unterminated quote: that row is reported, the file still ends.
    let (status, body) = post_csv(&app, &key, "coronel", b"nome,telefone\nAna,11987654321\n\"Bia,11\n".to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["created"], 1, "{body}");
    assert!(body["rejected"].as_i64().unwrap() >= 1, "{body}");
    // Nothing was recorded for the files refused whole.
    let res =
        http().get(app.url("/api/v1/admin/orgs/coronel/contacts/imports")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(json(res).await.as_array().unwrap().len(), 1);
}

/// A file past the JSON body limit streams through (25,000 rows, ~1.3 MB), in batches.
async fn a_large_file_streams_through(engine: Engine) {
    let (app, key) = setup(engine).await;
    let mut body = String::from("external_id,name,phone,email\n");
    for i in 0..25_000 {
        body.push_str(&format!(
            "ext-{i},Cliente número {i},+55 11 9{:04}-{:04},cliente{i}@example.com\n",
            i / 10_000,
            i % 10_000
        ));
    }
    assert!(body.len() > 1_048_576);
    let (status, r) = post_csv(&app, &key, "coronel", body.clone().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["rows_read"].as_i64(), r["created"].as_i64(), r["rejected"].as_i64()),
        (Some(25_000), Some(25_000), Some(0))
    );
    let (_, again) = post_csv(&app, &key, "coronel", body.into_bytes()).await;
    assert_eq!((again["created"].as_i64(), again["unchanged"].as_i64()), (Some(0), Some(25_000)));
}

async fn uploads_past_the_upload_limit_are_refused(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(0);
        c.upload_limit_bytes = 10_000;
    })
    .await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let body = format!("nome\n{}", "Fulano\n".repeat(3_000));
    let (status, err) = post_csv(&app, &key, "coronel", body.into_bytes()).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));
}

/// The portal's form: an operator uploads, is sent back to the page with the import, and
/// downloads the report; without a session nothing is imported.
async fn the_portal_upload_form_imports_and_links_the_report(engine: Engine) {
    let (app, _key) = setup(engine).await;
    let part = || {
        reqwest::multipart::Part::bytes(b"nome;telefone\nCarla;(11) 98888-1111\n;\n".to_vec())
            .file_name("clientes.csv")
            .mime_str("text/csv")
            .unwrap()
    };
    let anonymous = app.client();
    let res = anonymous
        .post(app.url("/portal/orgs/coronel/contacts/import"))
        .multipart(reqwest::multipart::Form::new().part("file", part()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let viewer = app.logged_in(Role::Viewer).await;
    let res = viewer
        .post(app.url("/portal/orgs/coronel/contacts/import"))
        .multipart(reqwest::multipart::Form::new().part("file", part()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "viewers read, they do not import");

    let operator = app.logged_in(Role::Operator).await;
    let res = operator
        .post(app.url("/portal/orgs/coronel/contacts/import"))
        .multipart(reqwest::multipart::Form::new().part("file", part()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/orgs/coronel/contacts?import="), "{location}");
    let id = location.rsplit('=').next().unwrap();
    let res =
        operator.get(app.url(&format!("/portal/orgs/coronel/contacts/imports/{id}/report.csv"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains(&format!("importacao-coronel-{id}.csv")));
    let text = res.text().await.unwrap();
    assert!(text.contains("3,rejeitada,empty"), "{text}");
    // A refused file comes back to the page with the reason's code.
    let bad = reqwest::multipart::Part::bytes(b"foo\n1\n".to_vec()).file_name("x.csv");
    let res = operator
        .post(app.url("/portal/orgs/coronel/contacts/import"))
        .multipart(reqwest::multipart::Form::new().part("file", bad))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/orgs/coronel/contacts?error=csv_header_invalid");
    let res =
        anonymous.get(app.url(&format!("/portal/orgs/coronel/contacts/imports/{id}/report.csv"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The page: operators get the form and the report link; viewers see the history only.
    let html = app.page(&operator, "/orgs/coronel/contacts").await.text().await.unwrap();
    assert!(html.contains("id=\"import-form\"") && html.contains(&format!("imports/{id}/report.csv")), "{html}");
    let html = app.page(&viewer, "/orgs/coronel/contacts").await.text().await.unwrap();
    assert!(html.contains("clientes.csv"), "the history is visible: {html}");
    assert!(!html.contains("report.csv") && !html.contains("import-form"), "{html}");
    let res =
        viewer.get(app.url(&format!("/portal/orgs/coronel/contacts/imports/{id}/report.csv"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// An import whose request died (crash, timeout) is marked failed once it cannot still be
/// going; one still within the upload timeout is left alone.
async fn an_interrupted_import_is_marked_failed(engine: Engine) {
    let (app, key) = setup(engine).await;
    let org = app::domain::store::orgs::list(&app.services.db).await.unwrap()[0].id;
    let now = app.services.now();
    let stuck = app::domain::store::contacts_import::create(&app.services.db, org, Some("grande.csv"), "cli", now)
        .await
        .unwrap();
    let swept = app::domain::contacts_import::sweep_interrupted(&app.services, 60_000).await.unwrap();
    assert_eq!(swept, 0, "still within the upload timeout");
    app.services.clock.advance(61_000);
    let swept = app::domain::contacts_import::sweep_interrupted(&app.services, 60_000).await.unwrap();
    assert_eq!(swept, 1);
    let slug = app::domain::store::orgs::list(&app.services.db).await.unwrap()[0].slug.clone();
    let url = app.url(&format!("/api/v1/admin/orgs/{slug}/contacts/imports/{}", stuck.id));
    let r = json(http().get(url).bearer_auth(&key).send().await.unwrap()).await;
    assert_eq!(r["status"], "failed");
    assert!(r["error"]["message"].as_str().unwrap().contains("interrompida"));
}

both_engines!(
    an_interrupted_import_is_marked_failed,
    a_spreadsheet_is_imported_with_a_report_of_every_bad_row,
    bad_files_are_refused_whole_with_a_reason,
    a_large_file_streams_through,
    uploads_past_the_upload_limit_are_refused,
    the_portal_upload_form_imports_and_links_the_report,
);
