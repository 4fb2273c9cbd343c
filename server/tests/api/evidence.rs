//! Go-live evidence through the admin API on the default store (a folder in the data
//! directory): files typed by their content, hashed, kept once per scope, and every bad
//! input refused with its reason and nothing left behind.

use crate::common::chatwoot::*;
use crate::common::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub(crate) const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

pub(crate) fn png_of(size: usize) -> Vec<u8> {
    let mut v = PNG.to_vec();
    v.resize(size, 0x42);
    v
}

pub(crate) fn file(bytes: Vec<u8>, name: &str) -> Part {
    // The browser's word for the type is ignored; say something wrong on purpose.
    Part::bytes(bytes).file_name(name.to_string()).mime_str("image/png").unwrap()
}

pub(crate) async fn upload(app: &TestApp, key: &str, slug: &str, form: Form) -> (StatusCode, Value) {
    let res = http()
        .post(app.url(&format!("/api/v1/admin/orgs/{slug}/evidence")))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, json(res).await)
}

/// Where the evidence goes: the default folder, or the test command's S3 (moto).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Store {
    Local,
    S3,
}

pub(crate) fn use_store(store: Store, c: &mut ponte_server::config::Config) {
    if let Store::S3 = store {
        let endpoint = std::env::var("PONTE_TEST_S3_ENDPOINT")
            .expect("PONTE_TEST_S3_ENDPOINT is not set: run the tests through scripts/test.sh, which starts moto");
        let bucket = std::env::var("PONTE_TEST_S3_BUCKET").unwrap_or_else(|_| "ponte-test".into());
        // A prefix of its own per test: tests share the bucket.
        c.evidence_store = Some(format!("s3://{bucket}/t-{}", &app::domain::auth::random_token()[..12]));
        c.evidence_endpoint = Some(endpoint);
    }
}

/// Every object in the evidence store, relative to its prefix.
pub(crate) async fn stored_files(app: &TestApp) -> Vec<String> {
    app.services.evidence.keys().await.expect("the store lists")
}

pub(crate) async fn read_object(app: &TestApp, key: &str) -> Vec<u8> {
    use futures::TryStreamExt;
    let got = app.services.evidence.get(key).await.expect("object");
    let chunks: Vec<bytes::Bytes> = got.into_stream().try_collect().await.unwrap();
    chunks.concat()
}

async fn evidence_is_typed_by_content_hashed_and_kept_once(engine: Engine, store: Store) {
    let app = TestApp::spawn_with(engine, |c| use_store(store, c)).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let log = "2026-12-07 10:00:01 INFO webhook aceito\n2026-12-07 10:00:02 INFO negócio criado\n".as_bytes().to_vec();
    // Bigger than axum's 2 MiB multipart default.
    let big = png_of(3 * 1024 * 1024);
    let form = Form::new()
        .text("item", "smoke_whatsapp")
        .text("note", "print do teste")
        .part("file", file(big.clone(), "print-teste.png"))
        .part("file", file(log.clone(), "pipeline.log"));
    let (status, body) = upload(&app, &key, "coronel", form).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let files = body.as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!((files[0]["kind"].as_str(), files[1]["kind"].as_str()), (Some("png"), Some("text")));
    assert_eq!(files[0]["sha256"], hex::encode(Sha256::digest(&big)));
    assert_eq!(files[0]["size"], big.len());
    assert_eq!(files[0]["item"], "smoke_whatsapp");
    assert_eq!(files[0]["name"], "print-teste.png");
    assert_eq!(files[0]["note"], "print do teste");
    assert_eq!(files[0]["duplicate"], false);
    assert!(files[1]["uploaded_by"].as_str().unwrap().starts_with("api_key:"));
    // Kept under Ponte's own key, never the uploaded name.
    let org_id = app::domain::store::orgs::by_slug(&app.services.db, "coronel").await.unwrap().unwrap().id.0;
    let sha = files[0]["sha256"].as_str().unwrap();
    let stored = stored_files(&app).await;
    assert!(stored.contains(&format!("org/{org_id}/smoke_whatsapp/{sha}")), "{stored:?}");
    assert!(stored.iter().all(|f| !f.contains("print-teste")), "{stored:?}");
    assert_eq!(read_object(&app, &format!("org/{org_id}/smoke_whatsapp/{sha}")).await, big);

    // The same file again in the same item: recognised, not stored twice. In the org's
    // own scope it is another piece of evidence.
    let (status, again) = upload(
        &app,
        &key,
        "coronel",
        Form::new().text("item", "smoke_whatsapp").part("file", file(big.clone(), "outro-nome.png")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!((again[0]["duplicate"].as_bool(), again[0]["id"].clone()), (Some(true), files[0]["id"].clone()));
    let (status, org_level) =
        upload(&app, &key, "coronel", Form::new().part("file", file(big.clone(), "geral.png"))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!((org_level[0]["item"].clone(), org_level[0]["duplicate"].as_bool()), (Value::Null, Some(false)));
    let (status, list) = admin_call(&app, &key, Method::GET, "orgs/coronel/evidence", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 3);
    let stored = stored_files(&app).await;
    assert_eq!(stored.len(), 3, "no temporary object left: {stored:?}");
    let audit = app::domain::store::audit::recent(&app.services.db, None, 50).await.unwrap();
    assert_eq!(audit.iter().filter(|r| r.action == "evidence.upload").count(), 3);
}

async fn bad_evidence_is_refused_with_its_reason_and_nothing_is_kept(engine: Engine, store: Store) {
    let app = TestApp::spawn_with(engine, |c| {
        c.evidence_max_mb = 1;
        use_store(store, c);
    })
    .await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    create_org(&app, &key, "outra").await;
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.resize(4096, 0);
    let cases: Vec<(Form, StatusCode, &str, Option<&str>)> = vec![
        (
            Form::new().part("file", file(PNG.to_vec(), "../../etc/passwd")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            Some("file"),
        ),
        (
            Form::new().part("file", file(PNG.to_vec(), "/etc/passwd")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            Some("file"),
        ),
        (
            Form::new().part("file", file(PNG.to_vec(), "C:\\fotos\\x.png")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            Some("file"),
        ),
        // A NUL cannot even travel in the part's header: the form is refused as unreadable.
        (Form::new().part("file", file(PNG.to_vec(), "nul\0.png")), StatusCode::BAD_REQUEST, "form_invalid", None),
        (
            Form::new().part("file", file(elf, "print.png")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "evidence_type_refused",
            None,
        ),
        (
            Form::new().part("file", file(b"<!doctype html><script>alert(1)</script>".to_vec(), "print.png")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "evidence_markup",
            None,
        ),
        (
            Form::new().part(
                "file",
                file(b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(), "logo.svg"),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "evidence_markup",
            None,
        ),
        (
            Form::new().part("file", file(Vec::new(), "vazio.png")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "evidence_empty",
            None,
        ),
        (
            Form::new().part("file", file(png_of(1024 * 1024 + 1), "grande.png")),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            None,
        ),
        (
            Form::new().text("item", "item_inventado").part("file", file(PNG.to_vec(), "a.png")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            Some("item"),
        ),
        (Form::new().text("item", "smoke_whatsapp"), StatusCode::UNPROCESSABLE_ENTITY, "validation", Some("file")),
    ];
    for (i, (form, status, code, field)) in cases.into_iter().enumerate() {
        let (got, body) = upload(&app, &key, "coronel", form).await;
        assert_eq!(got, status, "case {i}: {body}");
        assert_eq!(error_code(&body), code, "case {i}: {body}");
        if let Some(f) = field {
            assert!(field_code(&body, f).is_some(), "case {i}: {body}");
        }
        assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty(), "case {i}: a message: {body}");
    }
    let (_, detected) = upload(
        &app,
        &key,
        "coronel",
        Form::new().part("file", file(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".repeat(64), "setup.png")),
    )
    .await;
    assert!(detected["error"]["details"]["detected"].is_string(), "names what it saw: {detected}");
    let (_, too_big) =
        upload(&app, &key, "coronel", Form::new().part("file", file(png_of(2 * 1024 * 1024), "g.png"))).await;
    assert_eq!(too_big["error"]["details"]["max_bytes"], 1024 * 1024);

    // Another org's slug that does not exist, no key, not a form.
    let (status, _) = upload(&app, &key, "nao-existe", Form::new().part("file", file(PNG.to_vec(), "a.png"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/evidence"))
        .multipart(Form::new().part("file", file(PNG.to_vec(), "a.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/evidence"))
        .bearer_auth(&key)
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // A multipart body cut short (the client went away): nothing recorded, nothing left.
    let mut cut = b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
    cut.extend_from_slice(&png_of(100_000));
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/evidence"))
        .bearer_auth(&key)
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body(cut)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body = json(res).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::BAD_REQUEST, "upload_incomplete"), "{body}");

    let (_, list) = admin_call(&app, &key, Method::GET, "orgs/coronel/evidence", None).await;
    assert_eq!(list, Value::Array(vec![]), "nothing recorded");
    assert_eq!(stored_files(&app).await, Vec::<String>::new(), "no object left behind");
    let (_, other) = admin_call(&app, &key, Method::GET, "orgs/outra/evidence", None).await;
    assert_eq!(other, Value::Array(vec![]));
}

async fn evidence_on_a_local_folder(engine: Engine) {
    evidence_is_typed_by_content_hashed_and_kept_once(engine, Store::Local).await;
}

async fn evidence_on_s3(engine: Engine) {
    evidence_is_typed_by_content_hashed_and_kept_once(engine, Store::S3).await;
}

async fn bad_evidence_on_a_local_folder(engine: Engine) {
    bad_evidence_is_refused_with_its_reason_and_nothing_is_kept(engine, Store::Local).await;
}

async fn bad_evidence_on_s3(engine: Engine) {
    bad_evidence_is_refused_with_its_reason_and_nothing_is_kept(engine, Store::S3).await;
}

both_engines!(evidence_on_a_local_folder, evidence_on_s3, bad_evidence_on_a_local_folder, bad_evidence_on_s3);

/// The store is down (nothing listens at its address): a clear 503, nothing recorded, and
/// the same upload goes through once the org's files are listed again (the database is fine).
async fn an_upload_while_the_store_is_down_is_a_503_and_nothing_is_recorded(engine: Engine) {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = TestApp::spawn_with(engine, |c| {
        c.evidence_store = Some("s3://ponte-down/t".into());
        c.evidence_endpoint = Some(format!("http://127.0.0.1:{closed}"));
    })
    .await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    let form = Form::new().text("item", "chatwoot_account").part("file", file(png_of(4096), "print.png"));
    let (status, body) = upload(&app, &key, "coronel", form).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "evidence_store_unavailable");
    assert!(body["error"]["message"].as_str().unwrap().contains("nada foi guardado"), "{body}");
    let (status, list) = admin_call(&app, &key, Method::GET, "orgs/coronel/evidence", None).await;
    assert_eq!((status, list), (StatusCode::OK, serde_json::json!([])));
}

/// Every file under a folder, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A client that goes away mid-upload, over a real socket: the upload was under way (its
/// staging file on disk), then nothing is left — no row, no file, not even the temporary
/// one — and the server goes on serving.
async fn a_client_that_disconnects_mid_upload_leaves_nothing(engine: Engine) {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn(engine).await;
    let key = app.admin_key().await;
    create_org(&app, &key, "coronel").await;
    let folder = app.config.data_dir.join("evidence");
    let boundary = "ponteboundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"grande.log\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    );
    let mut sock = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "POST /api/v1/admin/orgs/coronel/evidence HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{head}",
        app.addr,
        head.len() + 64 * 1024 * 1024,
    );
    sock.write_all(request.as_bytes()).await.unwrap();
    // Text, 12 MiB of the promised 64: past the first store parts, so bytes reach the disk.
    let line = b"10:00:01 webhook aceito e processado\n".repeat(1024);
    for _ in 0..(12 * 1024 * 1024 / line.len()) {
        sock.write_all(&line).await.unwrap();
    }
    sock.flush().await.unwrap();
    until("the upload is under way (staging file on disk)", || async { !files_under(&folder).is_empty() }).await;
    drop(sock);
    until("the interrupted upload is cleaned up", || async { files_under(&folder).is_empty() }).await;
    let (status, list) = admin_call(&app, &key, Method::GET, "orgs/coronel/evidence", None).await;
    assert_eq!((status, list), (StatusCode::OK, serde_json::json!([])));
    let audit = app::domain::store::audit::recent(&app.services.db, None, 50).await.unwrap();
    assert!(audit.iter().all(|a| a.action != "evidence.upload"));
}

both_engines!(
    an_upload_while_the_store_is_down_is_a_503_and_nothing_is_recorded,
    a_client_that_disconnects_mid_upload_leaves_nothing
);
