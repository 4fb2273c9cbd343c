//! WhatsApp identity backfill on both engines: idempotency, every conflict kind, invalid
//! and empty phones, resume after a stop mid-run, live ingestion meanwhile, dry run, and
//! org isolation (issue: backfill).

mod common;

use app::domain::ingest::pipeline;
use app::domain::{backfill, Actor};
use common::chatwoot::*;
use common::*;

async fn contact(app: &TestApp, slug: &str, name: &str, phone: Option<&str>) -> i64 {
    backfill::add_contact(&app.services, slug, Some(name), phone).await.unwrap()
}

async fn run(app: &TestApp, slug: &str, dry_run: bool, batch: i64) -> backfill::BackfillRunDto {
    let started = backfill::start(&app.services, &Actor::cli(), slug, dry_run, batch).await.unwrap();
    backfill::run_batches(&app.services, slug, started.id, None).await.unwrap()
}

async fn setup(engine: Engine) -> (TestApp, String) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    (app, key)
}

async fn a_second_run_changes_nothing(engine: Engine) {
    let (app, key) = setup(engine).await;
    for (i, phone) in ["(11) 98765-4321", "+55 21 99876-5432", "5531988887777", "(11) 3456-7890"].iter().enumerate() {
        contact(&app, "coronel", &format!("Cliente {i}"), Some(phone)).await;
    }
    let first = run(&app, "coronel", false, 2).await;
    assert_eq!((first.status.as_str(), first.total, first.processed, first.created), ("done", 4, 4, 4), "{first:?}");
    let ids: Vec<String> = list(&app, &key, "coronel", "identities")
        .await
        .iter()
        .map(|i| i["external_id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&"5511987654321".to_string()) && ids.contains(&"551134567890".to_string()), "{ids:?}");
    let second = run(&app, "coronel", false, 3).await;
    assert_eq!((second.created, second.skipped, second.conflicts), (0, 4, 0), "twice = once");
    assert_eq!(list(&app, &key, "coronel", "identities").await.len(), 4);
}

async fn conflicts_invalid_and_empty_phones_are_kept_for_review(engine: Engine) {
    let (app, key) = setup(engine).await;
    let a = contact(&app, "coronel", "Maria", Some("11 98765-4321")).await;
    // The same person typed without the ninth digit on a second contact: not guessed.
    let b = contact(&app, "coronel", "Maria (duplicada)", Some("(11) 8765-4321")).await;
    contact(&app, "coronel", "Sem número", None).await;
    contact(&app, "coronel", "Em branco", Some("  ")).await;
    let bad = contact(&app, "coronel", "Número ruim", Some("0800")).await;
    let r = run(&app, "coronel", false, 10).await;
    assert_eq!((r.created, r.conflicts, r.invalid, r.empty), (1, 1, 1, 2), "{r:?}");
    let identities = list(&app, &key, "coronel", "identities").await;
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0]["contact_id"], a, "the first contact keeps the number");
    let conflicts = list(&app, &key, "coronel", "identity-conflicts").await;
    let taken = conflicts.iter().find(|c| c["kind"] == "number_taken").unwrap();
    assert_eq!((taken["contact_id"].as_i64(), taken["other_contact_id"].as_i64()), (Some(b), Some(a)));
    let invalid = conflicts.iter().find(|c| c["kind"] == "invalid_phone").unwrap();
    assert_eq!(invalid["contact_id"], bad);
    // A contact that already has another WhatsApp identity is left alone.
    let c = contact(&app, "coronel", "Trocou de número", Some("+55 21 99999-0000")).await;
    deliver(&app, "coronel", &wa_message(1, 10, "5521988887777"), "d-1").await;
    pipeline::drain(&app.services, "t").await.unwrap();
    let live_contact =
        list(&app, &key, "coronel", "identities?external_id=5521988887777").await[0]["contact_id"].as_i64().unwrap();
    assert_ne!(live_contact, c);
    let r = run(&app, "coronel", false, 10).await;
    assert_eq!(r.created, 1, "the new contact's number is linked");
    assert_eq!(r.conflicts, 1, "Maria (duplicada) again");
}

async fn a_stopped_run_resumes_after_its_checkpoint(engine: Engine) {
    let (app, key) = setup(engine).await;
    for i in 0..25 {
        contact(&app, "coronel", &format!("C{i}"), Some(&format!("+55 11 9{:04}-{:04}", 7000 + i, 1000 + i))).await;
    }
    let started = backfill::start(&app.services, &Actor::cli(), "coronel", false, 10).await.unwrap();
    // Two batches, then the process "dies".
    let mid = backfill::run_batches(&app.services, "coronel", started.id, Some(2)).await.unwrap();
    assert_eq!((mid.status.as_str(), mid.processed, mid.created), ("running", 20, 20));
    // Live ingestion meanwhile, for a number the run has not reached yet: respected.
    deliver(&app, "coronel", &wa_message(1, 10, "5511970241024"), "d-1").await;
    pipeline::drain(&app.services, "t").await.unwrap();
    let done = backfill::run_batches(&app.services, "coronel", started.id, None).await.unwrap();
    // The live message made a 26th contact (ingestion keys on identities, not on typed phones);
    // the run reaches it too, and finds its identity.
    assert_eq!((done.status.as_str(), done.processed, done.total), ("done", 26, 26));
    assert_eq!((done.created, done.conflicts, done.skipped), (24, 1, 1), "{done:?}");
    assert_eq!(list(&app, &key, "coronel", "identities?limit=100").await.len(), 25);
    // Pause / resume / cancel.
    let r = backfill::start(&app.services, &Actor::cli(), "coronel", false, 10).await.unwrap();
    let paused = backfill::set_status(&app.services, &Actor::cli(), "coronel", r.id, "pause").await.unwrap();
    assert_eq!(paused.status, "paused");
    let still = backfill::run_batches(&app.services, "coronel", r.id, None).await.unwrap();
    assert_eq!(still.processed, 0, "a paused run does nothing");
    assert!(backfill::set_status(&app.services, &Actor::cli(), "coronel", r.id, "pause").await.is_err());
    backfill::set_status(&app.services, &Actor::cli(), "coronel", r.id, "resume").await.unwrap();
    let cancelled = backfill::set_status(&app.services, &Actor::cli(), "coronel", r.id, "cancel").await.unwrap();
    assert_eq!(cancelled.status, "cancelled");
}

async fn a_dry_run_writes_no_identity_and_one_org_never_touches_another(engine: Engine) {
    let (app, key) = setup(engine).await;
    setup_org(&app, &key, "outra").await;
    contact(&app, "coronel", "A", Some("11987654321")).await;
    contact(&app, "coronel", "B", Some("+55 (11) 98765-4321")).await;
    contact(&app, "outra", "C", Some("11987654321")).await;
    let dry = run(&app, "coronel", true, 10).await;
    assert_eq!((dry.dry_run, dry.created, dry.conflicts), (true, 1, 1), "{dry:?}");
    assert!(list(&app, &key, "coronel", "identities").await.is_empty(), "a dry run writes no identity");
    assert!(list(&app, &key, "coronel", "identity-conflicts").await.is_empty(), "nor conflict rows");
    let real = run(&app, "coronel", false, 10).await;
    assert_eq!((real.total, real.created, real.conflicts), (2, 1, 1));
    assert!(list(&app, &key, "outra", "identities").await.is_empty(), "the other org is untouched");
    let theirs = run(&app, "outra", false, 10).await;
    assert_eq!((theirs.total, theirs.created), (1, 1), "the same number is its own identity in the other org");
    assert!(backfill::start(&app.services, &Actor::cli(), "coronel", false, 0).await.is_err(), "batch size checked");
    assert!(backfill::start(&app.services, &Actor::cli(), "nenhuma", false, 10).await.is_err());
}

/// The admin API starts a run in the background and reports its progress.
async fn the_admin_api_runs_and_controls_a_backfill(engine: Engine) {
    let (app, key) = setup(engine).await;
    for i in 0..30 {
        contact(&app, "coronel", &format!("C{i}"), Some(&format!("+55 21 9{:04}-{:04}", 6000 + i, 2000 + i))).await;
    }
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/backfill"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"batch_size": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::ACCEPTED);
    let id = json(res).await["id"].as_i64().unwrap();
    let url = app.url(&format!("/api/v1/admin/orgs/coronel/backfill/{id}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let done = loop {
        let run = json(http().get(&url).bearer_auth(&key).send().await.unwrap()).await;
        if run["status"] == "done" {
            break run;
        }
        assert!(std::time::Instant::now() < deadline, "backfill did not finish: {run}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!((done["processed"].as_i64(), done["created"].as_i64()), (Some(30), Some(30)));
    let res = http().post(format!("{url}/pause")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CONFLICT, "a finished run cannot be paused");
    let res = http().post(format!("{url}/explode")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/backfill"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"batch_size": -1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let history =
        json(http().get(app.url("/api/v1/admin/orgs/coronel/backfill")).bearer_auth(&key).send().await.unwrap()).await;
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["id"], id);
    let res = http().get(app.url("/api/v1/admin/orgs/outra/backfill/1")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);
}

both_engines!(
    the_admin_api_runs_and_controls_a_backfill,
    a_second_run_changes_nothing,
    conflicts_invalid_and_empty_phones_are_kept_for_review,
    a_stopped_run_resumes_after_its_checkpoint,
    a_dry_run_writes_no_identity_and_one_org_never_touches_another,
);
