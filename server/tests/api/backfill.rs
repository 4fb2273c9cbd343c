//! WhatsApp identity backfill on both engines: idempotency, every conflict kind, invalid
//! and empty phones, resume after a stop mid-run, live ingestion meanwhile, dry run, and
//! org isolation (issue: backfill).

use crate::common::chatwoot::*;
use crate::common::*;
use app::domain::ingest::pipeline;
use app::domain::{backfill, Actor};
use app::model::{Note, NoteCode, RunId, RunStatus};

async fn contact(app: &TestApp, slug: &str, name: &str, phone: Option<&str>) -> i64 {
    backfill::add_contact(&app.services, slug, Some(name), phone).await.unwrap().0
}

async fn run(app: &TestApp, slug: &str, dry_run: bool, batch: i64) -> backfill::BackfillRunDto {
    let started = backfill::start(&app.services, &Actor::cli(), slug, dry_run, batch).await.unwrap();
    backfill::run_batches(&app.services, slug, started.id, None).await.unwrap()
}

/// A server whose workers and backfill runners are off: the tests drive the batches.
async fn setup(engine: Engine) -> (TestApp, String) {
    setup_with_runners(engine, 0).await
}

async fn setup_with_runners(engine: Engine, runners: usize) -> (TestApp, String) {
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(0);
        c.backfill_runners = Some(runners);
    })
    .await;
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
    // Two contacts of the org typed the same number: the first keeps it.
    let shared = conflicts.iter().find(|c| c["kind"] == "duplicate_phone").unwrap();
    assert_eq!((shared["contact_id"].as_i64(), shared["other_contact_id"].as_i64()), (Some(b), Some(a)));
    assert_eq!(shared["external_id"], "5511987654321");
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
    assert_eq!(
        list(&app, &key, "coronel", "identity-conflicts").await.len(),
        2,
        "a clash found again is recorded once"
    );
}

/// Waits for a background runner to finish a run.
async fn wait_done(app: &TestApp, slug: &str, id: RunId) -> backfill::BackfillRunDto {
    eventually("the run to finish", || async {
        let r = backfill::get(&app.services, slug, id).await.unwrap();
        if r.status == RunStatus::Done {
            Ok(r)
        } else {
            Err(r)
        }
    })
    .await
}

async fn tasks(app: &TestApp, key: &str, slug: &str, status: &str) -> Vec<serde_json::Value> {
    let url = app.url(&format!("/api/v1/admin/orgs/{slug}/reconciliation?status={status}"));
    json(http().get(url).bearer_auth(key).send().await.unwrap()).await["items"].as_array().unwrap().clone()
}

async fn resolve(
    app: &TestApp,
    key: &str,
    slug: &str,
    id: &serde_json::Value,
    resolution: &str,
) -> (u16, serde_json::Value) {
    let res = http()
        .post(app.url(&format!("/api/v1/admin/orgs/{slug}/reconciliation/{id}")))
        .bearer_auth(key)
        .json(&serde_json::json!({ "resolution": resolution }))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), json(res).await)
}

async fn owner_of(app: &TestApp, key: &str, slug: &str, number: &str) -> Option<i64> {
    list(app, key, slug, &format!("identities?external_id={number}"))
        .await
        .first()
        .and_then(|i| i["contact_id"].as_i64())
}

/// Each clash is a task with both contacts side by side, resolved three ways (audited),
/// never reopened by a later run, and invisible to another org.
async fn reconciliation_tasks_resolve_three_ways(engine: Engine) {
    let (app, key) = setup(engine).await;
    setup_org(&app, &key, "outra").await;
    let a = contact(&app, "coronel", "Maria", Some("11 98765-4321")).await;
    let b = contact(&app, "coronel", "Maria (cadastro novo)", Some("(11) 8765-4321")).await;
    let c = contact(&app, "coronel", "João", Some("21 99876-5432")).await;
    let d = contact(&app, "coronel", "João da loja", Some("+55 21 99876-5432")).await;
    let e = contact(&app, "coronel", "Ana", Some("31 98888-7777")).await;
    let f = contact(&app, "coronel", "Ana Paula", Some("5531988887777")).await;
    let g = contact(&app, "coronel", "Três", Some("41 99999-0000")).await;
    let h = contact(&app, "coronel", "Três (2)", Some("41 99999-0000")).await;
    let i = contact(&app, "coronel", "Três (3)", Some("41 99999-0000")).await;
    contact(&app, "coronel", "Inválido", Some("0800")).await;
    run(&app, "coronel", false, 4).await;
    let open = tasks(&app, &key, "coronel", "open").await;
    assert_eq!(open.len(), 5, "invalid phones are listed in the report, not reconciled: {open:#?}");
    let task_of = |contact: i64| open.iter().find(|t| t["contact"]["contact"]["id"] == contact).unwrap().clone();
    let t1 = task_of(b);
    assert_eq!(t1["kind"], "duplicate_phone");
    assert_eq!(t1["other"]["contact"]["id"], a);
    assert_eq!(t1["other"]["identities"][0]["external_id"], "5511987654321", "the holder's identities are shown");
    assert_eq!(t1["contact"]["contact"]["phone"], "(11) 8765-4321");
    assert_eq!(t1["choices"], serde_json::json!(["kept", "linked_other", "not_same_person"]));

    // Link to the other contact: the number moves to B.
    let (status, done) = resolve(&app, &key, "coronel", &t1["id"], "linked_other").await;
    assert_eq!(
        (status, done["status"].as_str(), done["resolution"].as_str()),
        (200, Some("resolved"), Some("linked_other"))
    );
    assert_eq!(owner_of(&app, &key, "coronel", "5511987654321").await, Some(b));
    let (status, again) = resolve(&app, &key, "coronel", &t1["id"], "kept").await;
    assert_eq!(status, 409, "a resolved task stays resolved: {again}");
    // Keep: the number stays with C.
    let (status, _) = resolve(&app, &key, "coronel", &task_of(d)["id"], "kept").await;
    assert_eq!(status, 200);
    assert_eq!(owner_of(&app, &key, "coronel", "5521998765432").await, Some(c));
    // Not the same person: nothing moves.
    let t3 = task_of(f);
    let (status, bad) = resolve(&app, &key, "coronel", &t3["id"], "merge").await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(bad["error"]["fields"][0]["field"], "resolution");
    let (status, _) = resolve(&app, &key, "coronel", &t3["id"], "not_same_person").await;
    assert_eq!(status, 200);
    assert_eq!(owner_of(&app, &key, "coronel", "5531988887777").await, Some(e));
    // Two tasks on one number: after the first moves it, the second's move is stale.
    let (status, _) = resolve(&app, &key, "coronel", &task_of(h)["id"], "linked_other").await;
    assert_eq!(status, 200);
    assert_eq!(owner_of(&app, &key, "coronel", "5541999990000").await, Some(h));
    let (status, stale) = resolve(&app, &key, "coronel", &task_of(i)["id"], "linked_other").await;
    assert_eq!(status, 409, "{stale}");
    assert_eq!(stale["error"]["code"], "task_stale");
    let (status, _) = resolve(&app, &key, "coronel", &task_of(i)["id"], "kept").await;
    assert_eq!(status, 200);
    let _ = g;

    // A later run raises none of these again (the holder that gave its number up included).
    let again = run(&app, "coronel", false, 100).await;
    assert_eq!(again.created, 0);
    assert!(tasks(&app, &key, "coronel", "open").await.is_empty(), "{:#?}", tasks(&app, &key, "coronel", "open").await);
    assert_eq!(tasks(&app, &key, "coronel", "resolved").await.len(), 7, "5 decided + 2 settled by the moves");
    let audit = app::domain::store::audit::recent(&app.services.db, None, 100).await.unwrap();
    assert_eq!(audit.iter().filter(|r| r.action == "reconciliation.resolve").count(), 5);

    // Another org sees none of it and can change none of it.
    let other = http()
        .get(app.url(&format!("/api/v1/admin/orgs/outra/reconciliation/{}", t1["id"])))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let (status, _) = resolve(&app, &key, "outra", &task_of(d)["id"], "linked_other").await;
    assert_eq!(status, 404);
    assert!(tasks(&app, &key, "outra", "all").await.is_empty());
    let res = http()
        .get(app.url("/api/v1/admin/orgs/coronel/reconciliation?status=maybe"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

async fn reopen(app: &TestApp, key: &str, slug: &str, id: &serde_json::Value) -> (u16, serde_json::Value) {
    let res = http()
        .post(app.url(&format!("/api/v1/admin/orgs/{slug}/reconciliation/{id}/reopen")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), json(res).await)
}

/// A decision is undone: the number goes back where it was, what the decision settled on
/// the side is undone too, the task is open again (audited) and can be decided anew. Not
/// when it is open, not from another org, and not once the number moved again since.
async fn a_reconciliation_decision_is_undone(engine: Engine) {
    let (app, key) = setup(engine).await;
    setup_org(&app, &key, "outra").await;
    let a = contact(&app, "coronel", "Maria", Some("11 98765-4321")).await;
    let b = contact(&app, "coronel", "Maria (cadastro novo)", Some("(11) 8765-4321")).await;
    let g = contact(&app, "coronel", "Três", Some("41 99999-0000")).await;
    let h = contact(&app, "coronel", "Três (2)", Some("41 99999-0000")).await;
    let i = contact(&app, "coronel", "Três (3)", Some("41 99999-0000")).await;
    run(&app, "coronel", false, 10).await;
    let open = tasks(&app, &key, "coronel", "open").await;
    let task_of = |contact: i64| open.iter().find(|t| t["contact"]["contact"]["id"] == contact).unwrap().clone();
    let t1 = task_of(b);

    // An open task has nothing to undo.
    let (status, body) = reopen(&app, &key, "coronel", &t1["id"]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("task_open")), "{body}");

    let (status, _) = resolve(&app, &key, "coronel", &t1["id"], "linked_other").await;
    assert_eq!(status, 200);
    assert_eq!(owner_of(&app, &key, "coronel", "5511987654321").await, Some(b));
    let settled = tasks(&app, &key, "coronel", "resolved").await.len();
    assert_eq!(settled, 2, "the decision and the clash it settled for the contact that gave the number up");

    // Another org can neither see nor undo it; without the admin key nothing happens; a
    // bad id names nothing.
    let (status, _) = reopen(&app, &key, "outra", &t1["id"]).await;
    assert_eq!(status, 404);
    let url = app.url(&format!("/api/v1/admin/orgs/coronel/reconciliation/{}/reopen", t1["id"]));
    let res = http().post(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = http().post(&url).bearer_auth("ponte_ak_nao_existe").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let (status, body) = reopen(&app, &key, "coronel", &serde_json::json!("abc")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    assert_eq!(owner_of(&app, &key, "coronel", "5511987654321").await, Some(b));

    let (status, back) = reopen(&app, &key, "coronel", &t1["id"]).await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["status"], "open");
    assert!(back["resolution"].is_null() && back["resolved_by"].is_null() && back["resolved_at"].is_null());
    assert_eq!(back["choices"], serde_json::json!(["kept", "linked_other", "not_same_person"]));
    assert_eq!(owner_of(&app, &key, "coronel", "5511987654321").await, Some(a), "the number went back");
    assert!(tasks(&app, &key, "coronel", "resolved").await.is_empty(), "the side record went with it");
    let (status, _) = reopen(&app, &key, "coronel", &t1["id"]).await;
    assert_eq!(status, 409, "twice is once");
    let audit = app::domain::store::audit::recent(&app.services.db, None, 100).await.unwrap();
    let undone = audit.iter().find(|r| r.action == "reconciliation.reopen").expect("audited");
    let detail: serde_json::Value = serde_json::from_str(&undone.detail).unwrap();
    assert_eq!(detail["undone"], "linked_other");
    // Decided again, the other way.
    let (status, _) = resolve(&app, &key, "coronel", &t1["id"], "kept").await;
    assert_eq!(status, 200);
    assert_eq!(owner_of(&app, &key, "coronel", "5511987654321").await, Some(a));
    let (status, _) = reopen(&app, &key, "coronel", &t1["id"]).await;
    assert_eq!(status, 200, "a 'kept' decision is undone too (nothing moves)");
    assert_eq!(owner_of(&app, &key, "coronel", "5511987654321").await, Some(a));

    // The number moved on after the decision: undoing it would undo that move, so nothing
    // changes. (The later move is written through the store, as another decision would.)
    let th = task_of(h);
    let (status, _) = resolve(&app, &key, "coronel", &th["id"], "linked_other").await;
    assert_eq!(status, 200);
    assert_eq!(owner_of(&app, &key, "coronel", "5541999990000").await, Some(h));
    let org_json =
        json(http().get(app.url("/api/v1/admin/orgs/coronel")).bearer_auth(&key).send().await.unwrap()).await;
    let org: app::model::OrgId = serde_json::from_value(org_json["id"].clone()).unwrap();
    let ti: app::model::ConflictId = serde_json::from_value(task_of(i)["id"].clone()).unwrap();
    let moved = app::domain::store::reconciliation::resolve(
        &app.services.db,
        org,
        ti,
        app::model::Resolution::LinkedOther,
        Some(&app::domain::store::reconciliation::Relink::Move {
            source: app::model::Source::Whatsapp,
            external_id: "5541999990000".into(),
            from: app::model::ContactId(h),
            to: app::model::ContactId(i),
        }),
        "user:outra@ponte.test",
        1,
    )
    .await
    .unwrap();
    assert_eq!(moved, app::domain::store::reconciliation::Outcome::Resolved);
    let (status, stale) = reopen(&app, &key, "coronel", &th["id"]).await;
    assert_eq!((status, stale["error"]["code"].as_str()), (409, Some("reopen_stale")), "{stale}");
    assert_eq!(owner_of(&app, &key, "coronel", "5541999990000").await, Some(i), "nothing changed");
    let still = tasks(&app, &key, "coronel", "resolved").await;
    assert!(still.iter().any(|t| t["id"] == th["id"]), "the task stays resolved");
    let _ = g;
}

/// A run left `running` by a process that died is taken over by a runner once its lease
/// runs out, and goes on from its checkpoint.
async fn a_dead_processs_run_is_resumed_by_the_runner(engine: Engine) {
    let (app, key) = setup(engine).await;
    for i in 0..40 {
        contact(&app, "coronel", &format!("C{i}"), Some(&format!("+55 11 9{:04}-{:04}", 5000 + i, 3000 + i))).await;
    }
    let started = backfill::start(&app.services, &Actor::cli(), "coronel", false, 10).await.unwrap();
    // A process "holds" the run (its lease is fresh) and dies without a word.
    let now = app.services.now();
    let db = &app.services.db;
    let held =
        app::domain::store::backfill::claim(db, started.id, "dead-process", now, backfill::LEASE_MS).await.unwrap();
    assert!(held.is_some());
    // Another process looks for work while the lease is fresh: it finds none.
    assert!(!backfill::run_next(&app.services, "another-process").await.unwrap(), "a live lease is respected");
    let waiting = backfill::get(&app.services, "coronel", started.id).await.unwrap();
    assert_eq!(waiting.processed, 0, "a live lease is respected");
    // Once the lease runs out, that process's runner takes the run over.
    app.services.clock.advance(backfill::LEASE_MS + 1);
    let runners = ponte_server::workers::spawn_backfill_runners(app.services.clone(), 1);
    let r = wait_done(&app, "coronel", started.id).await;
    assert_eq!((r.processed, r.created), (40, 40));
    assert_eq!(list(&app, &key, "coronel", "identities?limit=100").await.len(), 40);
    runners.into_iter().for_each(|r| r.abort());
}

/// Several orgs at once: one wave, each org its own run; an unknown org is reported, not
/// fatal; the overview shows each org's newest run; a second start while one is going is refused.
async fn a_wave_of_orgs_runs_and_is_watched(engine: Engine) {
    let (app, key) = setup_with_runners(engine, 1).await;
    setup_org(&app, &key, "outra").await;
    for i in 0..12 {
        contact(&app, "coronel", &format!("C{i}"), Some(&format!("+55 11 9{:04}-{:04}", 4000 + i, 1000 + i))).await;
        contact(&app, "outra", &format!("O{i}"), Some(&format!("+55 21 9{:04}-{:04}", 4000 + i, 1000 + i))).await;
    }
    let res = http()
        .post(app.url("/api/v1/admin/backfill/wave"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"orgs": ["coronel", "outra", "nenhuma"], "batch_size": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let wave = json(res).await;
    assert!(wave["wave"].as_str().unwrap().starts_with("onda-"));
    let orgs = wave["orgs"].as_array().unwrap();
    assert_eq!(orgs.len(), 3);
    assert!(orgs[0]["run"]["id"].is_i64() && orgs[1]["run"]["id"].is_i64());
    assert!(orgs[2]["run"].is_null() && orgs[2]["error"].is_string(), "{}", orgs[2]);
    let overview = eventually("the wave to finish", || async {
        let o = json(http().get(app.url("/api/v1/admin/backfill")).bearer_auth(&key).send().await.unwrap()).await;
        let all_done = o.as_array().unwrap().iter().all(|org| org["run"]["status"] == "done");
        if all_done {
            Ok(o)
        } else {
            Err(o)
        }
    })
    .await;
    for org in overview.as_array().unwrap() {
        assert_eq!((org["contacts"].as_i64(), org["run"]["created"].as_i64()), (Some(12), Some(12)), "{org}");
        assert_eq!(org["run"]["wave"], wave["wave"]);
    }
    let res = http()
        .post(app.url("/api/v1/admin/backfill/wave"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"orgs": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    // The run's report: conflicts, invalid and empty phones, as CSV.
    contact(&app, "outra", "Sem telefone", None).await;
    contact(&app, "outra", "Ruim", Some("abc")).await;
    contact(&app, "outra", "Repetido", Some("+55 21 94000-1000")).await;
    let r = backfill::start(&app.services, &Actor::cli(), "outra", false, 50).await.unwrap();
    wait_done(&app, "outra", r.id).await;
    let res = http()
        .get(app.url(&format!("/api/v1/admin/orgs/outra/backfill/{}/report", r.id)))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].contains("tipo,codigo,contato_id"), "{csv}");
    assert!(lines[0].ends_with(",detalhe,situacao"), "{csv}");
    assert!(csv.contains("duplicate_phone") && csv.contains("invalid_phone") && csv.contains("empty_phone"), "{csv}");
    assert!(csv.contains("Sem telefone") && csv.contains(",abc,"), "{csv}");
    // The values people read are Portuguese: the kind, the detail and the status.
    assert!(csv.contains("Dois contatos com o mesmo número,duplicate_phone,"), "{csv}");
    assert!(
        csv.contains("Telefone inválido,invalid_phone,") && csv.contains("Contato sem telefone,empty_phone,"),
        "{csv}"
    );
    assert!(csv.contains("dois contatos da organização têm este número"), "{csv}");
    assert!(lines[1..].iter().all(|l| l.ends_with(",aberta") || l.ends_with(",resolvida")), "{csv}");
    let res = http()
        .get(app.url(&format!("/api/v1/admin/orgs/coronel/backfill/{}/report", r.id)))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "another org's run");
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
    assert_eq!(paused.status, RunStatus::Paused);
    let second = backfill::start(&app.services, &Actor::cli(), "coronel", false, 10).await;
    assert!(
        matches!(second, Err(app::domain::DomainError::Rejected(app::model::ErrorCode::RunAlreadyActive))),
        "one run at a time per org: {second:?}"
    );
    let still = backfill::run_batches(&app.services, "coronel", r.id, None).await.unwrap();
    assert_eq!(still.processed, 0, "a paused run does nothing");
    assert!(backfill::set_status(&app.services, &Actor::cli(), "coronel", r.id, "pause").await.is_err());
    backfill::set_status(&app.services, &Actor::cli(), "coronel", r.id, "resume").await.unwrap();
    let cancelled = backfill::set_status(&app.services, &Actor::cli(), "coronel", r.id, "cancel").await.unwrap();
    assert_eq!(cancelled.status, RunStatus::Cancelled);
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
    let (app, key) = setup_with_runners(engine, 1).await;
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
    let done = eventually("the backfill to finish", || async {
        let run = json(http().get(&url).bearer_auth(&key).send().await.unwrap()).await;
        if run["status"] == "done" {
            Ok(run)
        } else {
            Err(run)
        }
    })
    .await;
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

/// All pages of an admin list.
async fn all(app: &TestApp, key: &str, slug: &str, what: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let sep = if what.contains('?') { '&' } else { '?' };
        let cursor = before.map(|b| format!("&before={b}")).unwrap_or_default();
        let url = app.url(&format!("/api/v1/admin/orgs/{slug}/{what}{sep}limit=500{cursor}"));
        let page = json(http().get(url).bearer_auth(key).send().await.unwrap()).await;
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_before"].as_i64() {
            Some(b) => before = Some(b),
            None => return out,
        }
    }
}

/// The backfill and live ingestion at the same time, for the same numbers: whichever
/// reaches a number first links it, the other respects the link, and every clash is
/// recorded; no number ends with two identities and no identity is overwritten.
async fn a_run_beside_live_webhooks_for_the_same_numbers(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(2);
        c.backfill_runners = Some(1);
        // An event that lost a deadlock on PostgreSQL is retried soon.
        c.retry_base_ms = 50;
    })
    .await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let number = |i: usize| format!("55219{:04}{:04}", 6000 + i, 1000 + i);
    let mut base = Vec::new();
    for i in 0..600 {
        let n = number(i);
        let typed = format!("({}) {}-{}", &n[2..4], &n[4..9], &n[9..]);
        base.push((contact(&app, "coronel", &format!("Base {i}"), Some(&typed)).await, n));
    }
    let run = backfill::start(&app.services, &Actor::cli(), "coronel", false, 10).await.unwrap();
    // Customers write meanwhile, from every fourth number of the base, all at once.
    let sends = (0..600).step_by(4).map(|i| {
        let app = &app;
        async move {
            let mut m = wa_message(10_000 + i as i64, 20_000 + i as i64, &number(i));
            m["sender"]["phone_number"] = serde_json::json!(format!("+{}", number(i)));
            let (status, body) = deliver(app, "coronel", &m, &format!("d-{i}")).await;
            assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        }
    });
    futures::future::join_all(sends).await;
    let done = wait_done(&app, "coronel", run.id).await;
    pipeline::drain(&app.services, "t").await.unwrap();
    until("every event processed", || async {
        list(&app, &key, "coronel", "events?status=pending").await.is_empty()
            && list(&app, &key, "coronel", "events?status=processing").await.is_empty()
            && list(&app, &key, "coronel", "events?status=failed").await.is_empty()
    })
    .await;
    let identities = all(&app, &key, "coronel", "identities").await;
    let conflicts = all(&app, &key, "coronel", "identity-conflicts").await;
    let contacts = all(&app, &key, "coronel", "contacts").await;
    let mut owner: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for i in &identities {
        let previous = owner.insert(i["external_id"].as_str().unwrap().to_string(), i["contact_id"].as_i64().unwrap());
        assert!(previous.is_none(), "a number with two identities: {i}");
    }
    assert_eq!(identities.len(), 600, "each number linked exactly once");
    let live_first = contacts.len() - 600;
    eprintln!("{live_first} of 150 numbers were linked by a live message before the run reached them");
    for (contact_id, n) in &base {
        let holder = owner[n];
        if holder != *contact_id {
            // A live message got there first: its contact keeps the number, the clash is recorded.
            let clash = conflicts.iter().find(|c| c["contact_id"] == *contact_id && c["external_id"] == n.as_str());
            assert!(clash.is_some_and(|c| c["other_contact_id"] == holder), "contact {contact_id} ({n}) lost silently");
        }
    }
    assert_eq!(done.conflicts as usize, live_first, "{done:?}");
    // Every live message ended on the contact that holds its number, with one open deal.
    let deals = all(&app, &key, "coronel", "deals?status=open").await;
    assert_eq!(deals.len(), 150);
    for d in &deals {
        assert!(owner.values().any(|c| *c == d["contact_id"].as_i64().unwrap()));
    }
}

/// Identities written before Ponte may spell a mobile without its ninth digit: a run then
/// looks numbers up under both spellings, and respects the old link.
async fn an_identity_spelled_without_the_ninth_digit_is_respected(engine: Engine) {
    let (app, key) = setup(engine).await;
    let legacy = contact(&app, "coronel", "Cadastro antigo", None).await;
    exec(
        &app,
        &format!(
            "INSERT INTO messaging_contact_identities (organization_id, contact_id, source, external_id, created_at) \
             SELECT organization_id, id, 'whatsapp', '551187654321', 0 FROM contacts WHERE id = {legacy}"
        ),
    )
    .await;
    let typed = contact(&app, "coronel", "Cliente", Some("(11) 98765-4321")).await;
    let other = contact(&app, "coronel", "Outro", Some("(21) 98765-4321")).await;
    let r = run(&app, "coronel", false, 10).await;
    assert_eq!((r.created, r.conflicts, r.empty), (1, 1, 1), "{r:?}");
    let clash = list(&app, &key, "coronel", "identity-conflicts").await;
    assert_eq!(clash.len(), 1);
    assert_eq!((clash[0]["contact_id"].as_i64(), clash[0]["other_contact_id"].as_i64()), (Some(typed), Some(legacy)));
    assert_eq!(list(&app, &key, "coronel", "identities?external_id=5521987654321").await[0]["contact_id"], other);
    assert!(list(&app, &key, "coronel", "identities?external_id=5511987654321").await.is_empty());
}

/// The portal's server functions for the backfill: an operator starts (dry run or not),
/// pauses, resumes and cancels; a viewer reads but cannot start; bad input gets a 4xx.
async fn the_portal_controls_a_run_by_role(engine: Engine) {
    let (app, _key) = setup(engine).await;
    contact(&app, "coronel", "A", Some("11987654321")).await;
    let viewer = app.logged_in(app::model::Role::Viewer).await;
    let res = app.server_fn(&viewer, "start_org_backfill", &[("slug", "coronel"), ("batch_size", "100")]).await;
    assert_eq!(res.status(), reqwest::StatusCode::FORBIDDEN);
    let page = json(app.server_fn(&viewer, "org_backfill", &[("slug", "coronel")]).await).await;
    assert!(page["runs"].as_array().unwrap().is_empty());

    let op = app.logged_in(app::model::Role::Operator).await;
    let res = app.server_fn(&op, "start_org_backfill", &[("slug", "coronel"), ("batch_size", "0")]).await;
    assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY, "batch size checked");
    let run = json(
        app.server_fn(&op, "start_org_backfill", &[("slug", "coronel"), ("dry_run", "on"), ("batch_size", "100")])
            .await,
    )
    .await;
    assert_eq!((run["status"].as_str(), run["dry_run"].as_bool()), (Some("running"), Some(true)));
    let id = run["id"].to_string();
    for (action, status) in [("pause", "paused"), ("resume", "running"), ("cancel", "cancelled")] {
        let r = json(
            app.server_fn(&op, "backfill_run_action", &[("slug", "coronel"), ("id", &id), ("action", action)]).await,
        )
        .await;
        assert_eq!(r["status"], status, "{action}: {r}");
    }
    let res =
        app.server_fn(&op, "backfill_run_action", &[("slug", "coronel"), ("id", &id), ("action", "resume")]).await;
    assert_eq!(res.status(), reqwest::StatusCode::CONFLICT, "a cancelled run stays cancelled");
    let page = json(app.server_fn(&viewer, "org_backfill", &[("slug", "coronel")]).await).await;
    assert_eq!(page["runs"][0]["status"], "cancelled");
    let overview = json(app.server_fn(&viewer, "backfill_overview", &[]).await).await;
    assert_eq!(overview[0]["slug"], "coronel");
    assert_eq!(overview[0]["contacts"], 1);
}

/// A batch the database refuses is rolled back and recorded on the run (shown in the
/// portal), the run goes on from its checkpoint once the cause is gone, and a run refused
/// batch after batch stops as `failed` until an operator resumes it.
async fn a_refused_batch_is_recorded_and_a_run_that_keeps_failing_stops(engine: Engine) {
    let (app, key) = setup(engine).await;
    contact(&app, "coronel", "A", Some("11987654321")).await;
    contact(&app, "coronel", "Ruim", Some("0800")).await;
    let r = backfill::start(&app.services, &Actor::cli(), "coronel", false, 10).await.unwrap();
    // The conflicts table is gone for a moment: the batch (which records an invalid phone) fails whole.
    exec(&app, "ALTER TABLE identity_conflicts RENAME TO identity_conflicts_away").await;
    assert!(backfill::run_batches(&app.services, "coronel", r.id, None).await.is_err());
    exec(&app, "ALTER TABLE identity_conflicts_away RENAME TO identity_conflicts").await;
    let failed_once = backfill::get(&app.services, "coronel", r.id).await.unwrap();
    assert_eq!((failed_once.status.as_str(), failed_once.processed, failed_once.failures), ("running", 0, 1));
    // Operators read that storage refused; the database's own words are only in the log.
    let note = failed_once.last_error.clone().expect("the refusal is recorded");
    assert_eq!(note.code, NoteCode::StorageFailed, "{failed_once:?}");
    assert!(!note.message().contains("identity_conflicts"), "{failed_once:?}");
    assert!(list(&app, &key, "coronel", "identities").await.is_empty(), "nothing of the refused batch was written");
    let done = backfill::run_batches(&app.services, "coronel", r.id, None).await.unwrap();
    assert_eq!((done.status.as_str(), done.created, done.invalid, done.failures), ("done", 1, 1, 0));

    contact(&app, "coronel", "B", Some("21987654321")).await;
    let r = backfill::start(&app.services, &Actor::cli(), "coronel", false, 10).await.unwrap();
    let db = &app.services.db;
    let now = app.services.now();
    for _ in 1..backfill::MAX_FAILURES {
        assert!(!app::domain::store::backfill::record_failure(
            db,
            r.id,
            &Note::plain("disco cheio"),
            backfill::MAX_FAILURES,
            now
        )
        .await
        .unwrap());
    }
    assert!(app::domain::store::backfill::record_failure(
        db,
        r.id,
        &Note::plain("disco cheio"),
        backfill::MAX_FAILURES,
        now
    )
    .await
    .unwrap());
    let failed = backfill::get(&app.services, "coronel", r.id).await.unwrap();
    assert_eq!((failed.status.as_str(), failed.failures), ("failed", backfill::MAX_FAILURES));
    assert!(failed.finished_at.is_some());
    assert_eq!(
        backfill::run_batches(&app.services, "coronel", r.id, None).await.unwrap().processed,
        0,
        "a failed run waits"
    );
    let resumed = backfill::set_status(&app.services, &Actor::cli(), "coronel", r.id, "resume").await.unwrap();
    assert_eq!((resumed.status.as_str(), resumed.failures), ("running", 0));
    let done = backfill::run_batches(&app.services, "coronel", r.id, None).await.unwrap();
    assert_eq!((done.status.as_str(), done.created), ("done", 1));
}

both_engines!(
    a_refused_batch_is_recorded_and_a_run_that_keeps_failing_stops,
    the_portal_controls_a_run_by_role,
    an_identity_spelled_without_the_ninth_digit_is_respected,
    a_run_beside_live_webhooks_for_the_same_numbers,
    reconciliation_tasks_resolve_three_ways,
    a_reconciliation_decision_is_undone,
    a_dead_processs_run_is_resumed_by_the_runner,
    a_wave_of_orgs_runs_and_is_watched,
    the_admin_api_runs_and_controls_a_backfill,
    a_second_run_changes_nothing,
    conflicts_invalid_and_empty_phones_are_kept_for_review,
    a_stopped_run_resumes_after_its_checkpoint,
    a_dry_run_writes_no_identity_and_one_org_never_touches_another,
);
