//! Processing of accepted Chatwoot events through the real endpoint, on both engines: the
//! rollout plan's five validation scenarios, concurrent first messages, a crash between
//! acceptance and processing, retries and the dead letter (issue: ingestion).
//!
//! Servers run without background workers and the tests drive the queue with
//! `pipeline::drain`, so every step is deterministic; one test runs the real workers.

use crate::common::chatwoot::*;
use crate::common::sink::{Behaviour, Sink};
use crate::common::*;
use app::domain::ingest::pipeline;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

struct World {
    app: TestApp,
    key: String,
    sink: Sink,
}

/// Org `coronel` with both channels mapped and its v2 automation pointing at a sink.
async fn world(engine: Engine) -> World {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let sink = Sink::start().await;
    let (status, body) =
        set_automation(&app, &key, "coronel", json!({"mode": "v2", "v2_url": sink.url, "timeout_ms": 400})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    World { app, key, sink }
}

async fn process(app: &TestApp) -> pipeline::RunReport {
    pipeline::drain(&app.services, "test-worker").await.expect("processing runs")
}

fn ids(items: &[Value], field: &str) -> BTreeSet<i64> {
    items.iter().map(|v| v[field].as_i64().unwrap()).collect()
}

fn steps(event: &Value) -> Vec<(String, String)> {
    event["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap().to_string(), s["outcome"].as_str().unwrap().to_string()))
        .collect()
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

/// Scenario 1: an org already live on WhatsApp keeps working: contact, identity, deal on
/// the board's first stage, conversation, hand-off; the same person without the ninth
/// digit is the same contact; replies, updates and notes create nothing.
async fn scenario_1_whatsapp_regression_on_an_active_org(engine: Engine) {
    let World { app, key, sink } = world(engine).await;
    go_live(&app, &key, "coronel").await;

    let (status, ack) = deliver(&app, "coronel", &fixture_json("whatsapp_message_created.json"), "d-1").await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    let report = process(&app).await;
    assert_eq!((report.claimed, report.done), (1, 1), "{report:?}");

    let contacts = list(&app, &key, "coronel", "contacts").await;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["phone"], "+5511987654321");
    assert_eq!(contacts[0]["name"], "Maria Aparecida Souza");
    let identities = list(&app, &key, "coronel", "identities").await;
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0]["source"], "whatsapp");
    assert_eq!(identities[0]["external_id"], "5511987654321");
    assert_eq!(identities[0]["contact_id"], contacts[0]["id"]);
    let deals = list(&app, &key, "coronel", "deals").await;
    assert_eq!(deals.len(), 1);
    assert_eq!(deals[0]["status"], "open");
    assert_eq!(deals[0]["stage"], "novo-contato", "new deals start at the board's first stage");
    let conversations = list(&app, &key, "coronel", "conversations").await;
    assert_eq!(conversations.len(), 1);
    assert_eq!(conversations[0]["chatwoot_conversation_id"], 3311);
    assert_eq!(conversations[0]["deal_id"], deals[0]["id"]);
    assert_eq!(conversations[0]["session_key"], "whatsapp:5511987654321");

    let got = sink.accepted();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["org"], "coronel");
    assert_eq!(got[0]["source"], "whatsapp");
    assert_eq!(got[0]["session_key"], "whatsapp:5511987654321");
    assert_eq!(got[0]["contact_id"], contacts[0]["id"]);
    assert_eq!(got[0]["deal_id"], deals[0]["id"]);
    assert_eq!(got[0]["event_id"], ack["event_id"]);
    assert_eq!(got[0]["message"]["id"], 88001);
    assert_eq!(got[0]["message"]["content"], fixture_json("whatsapp_message_created.json")["content"]);
    assert_eq!(
        sink.accepted_headers()[0]["idempotency-key"].to_str().unwrap(),
        format!("ponte-event-{}", ack["event_id"])
    );
    let ev = event(&app, &key, "coronel", &ack["event_id"]).await;
    assert_eq!(ev["status"], "done");
    assert_eq!(ev["source"], "whatsapp");
    assert_eq!(
        steps(&ev),
        vec![
            pair("received", "stored"),
            pair("classify", "inbound"),
            pair("identity", "created"),
            pair("deal", "created"),
            pair("conversation", "created"),
            pair("forward", "forwarded"),
        ]
    );

    // The same number without the mobile ninth digit, a new message: same person, same deal.
    let (status, _) = deliver(&app, "coronel", &wa_message(88003, 3311, "551187654321"), "d-2").await;
    assert_eq!(status, StatusCode::OK);
    // An agent's reply, a status update of the first message, a private note: nothing new.
    deliver(&app, "coronel", &fixture_json("whatsapp_outgoing_message_created.json"), "d-3").await;
    let mut update = fixture_json("whatsapp_message_created.json");
    update["event"] = json!("message_updated");
    deliver(&app, "coronel", &update, "d-4").await;
    let mut note = wa_message(88004, 3311, "5511987654321");
    note["private"] = json!(true);
    deliver(&app, "coronel", &note, "d-5").await;
    let report = process(&app).await;
    assert_eq!((report.done, report.ignored), (1, 3), "{report:?}");

    assert_eq!(list(&app, &key, "coronel", "contacts").await.len(), 1);
    assert_eq!(list(&app, &key, "coronel", "identities").await.len(), 1, "no second spelling stored");
    assert_eq!(list(&app, &key, "coronel", "deals").await.len(), 1);
    let got = sink.accepted();
    assert_eq!(got.len(), 2, "only customer messages reach the automation");
    assert_eq!(got[1]["contact_id"], got[0]["contact_id"]);
    assert_eq!(got[1]["deal_id"], got[0]["deal_id"]);
    assert_eq!(got[1]["session_key"], "whatsapp:5511987654321");
    let ignored = list(&app, &key, "coronel", "events?status=ignored").await;
    assert_eq!(ignored.len(), 3);
}

/// Scenario 2: a first Instagram DM from a person with no history.
async fn scenario_2_first_instagram_dm_creates_everything(engine: Engine) {
    let World { app, key, sink } = world(engine).await;
    let (status, ack) = deliver(&app, "coronel", &fixture_json("instagram_message_created.json"), "d-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(process(&app).await.done, 1);

    let identities = list(&app, &key, "coronel", "identities?source=instagram").await;
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0]["external_id"], "1789456123098765");
    assert_eq!(identities[0]["session_key"], "instagram:1789456123098765");
    let contact_id = identities[0]["contact_id"].clone();
    let contacts = list(&app, &key, "coronel", "contacts").await;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["id"], contact_id);
    assert_eq!(contacts[0]["phone"], Value::Null, "an Instagram contact gets no invented phone");
    let deals = list(&app, &key, "coronel", &format!("deals?contact_id={contact_id}")).await;
    assert_eq!(deals.len(), 1);
    let conv = list(&app, &key, "coronel", "conversations?source=instagram").await;
    assert_eq!(conv.len(), 1);
    assert_eq!(conv[0]["chatwoot_conversation_id"], 3312);
    assert_eq!(conv[0]["contact_id"], contact_id);
    assert_eq!(conv[0]["deal_id"], deals[0]["id"]);

    let got = sink.accepted();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["source"], "instagram");
    assert_eq!(got[0]["session_key"], "instagram:1789456123098765");
    assert_eq!(got[0]["contact_id"], contact_id);
    assert_eq!(got[0]["deal_id"], deals[0]["id"]);
    assert_eq!(got[0]["contact_created"], true);
    assert_eq!(got[0]["event_id"], ack["event_id"]);
}

/// Scenario 3: Chatwoot's double delivery and the person's later messages are idempotent.
async fn scenario_3_instagram_redelivery_and_repeats_are_idempotent(engine: Engine) {
    let World { app, key, sink } = world(engine).await;
    let first = fixture_json("instagram_message_created.json");
    let repeat = fixture_json("instagram_message_created_repeat.json");
    let (_, a) = deliver(&app, "coronel", &first, "d-1").await;
    let (_, b) = deliver(&app, "coronel", &first, "d-2").await;
    assert_eq!(b["duplicate"], true);
    assert_eq!(a["event_id"], b["event_id"]);
    process(&app).await;
    let (_, c) = deliver(&app, "coronel", &repeat, "d-3").await;
    let (_, d) = deliver(&app, "coronel", &repeat, "d-4").await;
    assert_eq!((c["duplicate"].clone(), d["duplicate"].clone()), (json!(false), json!(true)));
    // Re-delivered after processing: still the same event, not processed again.
    let (_, e) = deliver(&app, "coronel", &first, "d-5").await;
    assert_eq!(e["event_id"], a["event_id"]);
    process(&app).await;

    assert_eq!(list(&app, &key, "coronel", "contacts").await.len(), 1);
    assert_eq!(list(&app, &key, "coronel", "identities").await.len(), 1);
    assert_eq!(list(&app, &key, "coronel", "deals").await.len(), 1);
    assert_eq!(list(&app, &key, "coronel", "conversations").await.len(), 1);
    assert_eq!(list(&app, &key, "coronel", "events").await.len(), 2, "one event per message id");
    let got = sink.accepted();
    assert_eq!(got.len(), 2, "one hand-off per message");
    assert_eq!(ids(&got, "event_id").len(), 2);
    assert_eq!(
        got.iter().map(|g| g["message"]["id"].as_i64().unwrap()).collect::<BTreeSet<_>>(),
        BTreeSet::from([88010, 88015])
    );
    assert_eq!(got[0]["deal_id"], got[1]["deal_id"]);
    assert_eq!(got[1]["contact_created"], false);
}

/// Scenario 4: one org with both channels keeps a session per channel; a second org with
/// the same customer never sees the first org's events, ids or automation.
async fn scenario_4_sessions_stay_isolated_across_channels_and_orgs(engine: Engine) {
    let World { app, key, sink } = world(engine).await;
    setup_org(&app, &key, "outra").await;
    let other_sink = Sink::start().await;
    let (status, _) = set_automation(&app, &key, "outra", json!({"mode": "v2", "v2_url": other_sink.url})).await;
    assert_eq!(status, StatusCode::OK);

    deliver(&app, "coronel", &fixture_json("whatsapp_message_created.json"), "a-1").await;
    deliver(&app, "coronel", &fixture_json("instagram_message_created.json"), "a-2").await;
    // The same WhatsApp customer writes to the other org (same message id, other org: no dedupe across orgs).
    let (status, other_ack) = deliver(&app, "outra", &fixture_json("whatsapp_message_created.json"), "b-1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(other_ack["duplicate"], false);
    assert_eq!(process(&app).await.done, 3);

    let mine = sink.accepted();
    assert_eq!(mine.len(), 2);
    let keys: BTreeSet<&str> = mine.iter().map(|m| m["session_key"].as_str().unwrap()).collect();
    assert_eq!(keys, BTreeSet::from(["instagram:1789456123098765", "whatsapp:5511987654321"]));
    assert_ne!(mine[0]["contact_id"], mine[1]["contact_id"], "channels are not merged by guesswork");
    assert!(mine.iter().all(|m| m["org"] == "coronel"));

    let theirs = other_sink.accepted();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["org"], "outra");
    assert_eq!(theirs[0]["session_key"], "whatsapp:5511987654321");
    let coronel_contacts = ids(&list(&app, &key, "coronel", "contacts").await, "id");
    let outra_contacts = ids(&list(&app, &key, "outra", "contacts").await, "id");
    assert_eq!(outra_contacts.len(), 1);
    assert!(coronel_contacts.is_disjoint(&outra_contacts), "each org has its own contact");
    assert!(outra_contacts.contains(&theirs[0]["contact_id"].as_i64().unwrap()));
    assert!(!coronel_contacts.contains(&theirs[0]["contact_id"].as_i64().unwrap()));
    let coronel_deals = ids(&list(&app, &key, "coronel", "deals").await, "id");
    assert!(!coronel_deals.contains(&theirs[0]["deal_id"].as_i64().unwrap()));
    // An org's event is not reachable through another org.
    let res = http()
        .get(app.url(&format!("/api/v1/admin/orgs/coronel/events/{}", other_ack["event_id"])))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// Scenario 5: the automation is down (5xx, connection refused, timeout): events are
/// kept and retried with backoff, Chatwoot's re-deliveries during the outage add nothing,
/// and everything is handed off exactly once when it comes back.
async fn scenario_5_automation_outage_retries_without_loss(engine: Engine) {
    let World { app, key, sink } = world(engine).await;
    sink.set(Behaviour::Status(503));
    let (_, ack) = deliver(&app, "coronel", &fixture_json("whatsapp_message_created.json"), "d-1").await;
    deliver(&app, "coronel", &fixture_json("instagram_message_created.json"), "d-2").await;
    let r = process(&app).await;
    assert_eq!((r.claimed, r.failed), (2, 2), "{r:?}");
    let ev = event(&app, &key, "coronel", &ack["event_id"]).await;
    assert_eq!(ev["status"], "failed");
    assert_eq!(ev["attempts"], 1);
    assert!(ev["last_error"]["message"].as_str().unwrap().contains("HTTP 503"), "{ev}");
    assert_eq!(ev["last_error"]["code"], "forward_refused");
    assert!(ev["next_attempt_at"].as_i64().unwrap() > app.services.now(), "retried later, not hot-looped");
    // Ingestion kept going: the CRM side exists even though the hand-off failed.
    assert_eq!(list(&app, &key, "coronel", "contacts").await.len(), 2);
    // Nothing is due yet.
    assert_eq!(process(&app).await.claimed, 0);

    // Chatwoot re-delivers during the outage.
    let (_, again) = deliver(&app, "coronel", &fixture_json("whatsapp_message_created.json"), "d-3").await;
    assert_eq!(again["duplicate"], true);

    // Connection refused: the automation's host is gone.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    set_automation(&app, &key, "coronel", json!({"v2_url": format!("http://{closed}/hook")})).await;
    app.services.clock.advance(60_000);
    assert_eq!(process(&app).await.failed, 2);
    let ev = event(&app, &key, "coronel", &ack["event_id"]).await;
    assert_eq!(ev["attempts"], 2);
    assert!(ev["last_error"]["message"].as_str().unwrap().contains("conexão recusada"), "{ev}");

    // Timeout: the automation answers too late.
    set_automation(&app, &key, "coronel", json!({"v2_url": sink.url, "timeout_ms": 200})).await;
    sink.set(Behaviour::Slow(1_500));
    app.services.clock.advance(120_000);
    assert_eq!(process(&app).await.failed, 2);
    let ev = event(&app, &key, "coronel", &ack["event_id"]).await;
    assert!(ev["last_error"]["message"].as_str().unwrap().contains("sem resposta"), "{ev}");

    // Back up.
    sink.set(Behaviour::Ok);
    app.services.clock.advance(240_000);
    let r = process(&app).await;
    assert_eq!((r.claimed, r.done), (2, 2), "{r:?}");
    let got = sink.accepted();
    assert_eq!(got.len(), 2, "each event handed off exactly once after the outage");
    assert_eq!(ids(&got, "event_id").len(), 2);
    let ev = event(&app, &key, "coronel", &ack["event_id"]).await;
    assert_eq!(ev["status"], "done");
    assert_eq!(ev["last_error"], Value::Null);
    let forwards: Vec<_> = steps(&ev).into_iter().filter(|(s, _)| s == "forward").map(|(_, o)| o).collect();
    assert_eq!(forwards, vec!["failed", "failed", "failed", "forwarded"]);
    assert_eq!(list(&app, &key, "coronel", "contacts").await.len(), 2);
    assert_eq!(list(&app, &key, "coronel", "deals").await.len(), 2);
}

/// After the last attempt an event is dead (kept, listed); an operator reprocesses it.
async fn dead_letter_and_reprocess(engine: Engine) {
    let World { app, key, sink } = world(engine).await;
    sink.set(Behaviour::Status(500));
    let (_, ack) = deliver(&app, "coronel", &fixture_json("whatsapp_message_created.json"), "d-1").await;
    let max = app.services.config.pipeline.max_attempts;
    for _ in 0..max {
        process(&app).await;
        app.services.clock.advance(app.services.config.pipeline.retry_max_ms);
    }
    let ev = event(&app, &key, "coronel", &ack["event_id"]).await;
    assert_eq!(ev["status"], "dead", "{ev}");
    assert_eq!(ev["attempts"], max);
    assert_eq!(process(&app).await.claimed, 0, "a dead event is not retried by itself");
    assert_eq!(list(&app, &key, "coronel", "events?status=dead").await.len(), 1);

    sink.set(Behaviour::Ok);
    let url = app.url(&format!("/api/v1/admin/orgs/coronel/events/{}/reprocess", ack["event_id"]));
    let res = http().post(&url).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json(res).await["status"], "pending");
    assert_eq!(process(&app).await.done, 1);
    assert_eq!(sink.accepted().len(), 1);
    // The reprocessed attempt is numbered after the earlier ones (a fresh retry budget, not
    // a fresh history): the count and the step rows agree, no attempt number repeats.
    let ev = event(&app, &key, "coronel", &ack["event_id"]).await;
    assert_eq!(ev["attempts"], max + 1, "{ev}");
    let steps = ev["steps"].as_array().unwrap();
    let last = steps.iter().map(|s| s["attempt"].as_i64().unwrap()).max().unwrap();
    assert_eq!(last, max + 1);
    let forwards: Vec<i64> =
        steps.iter().filter(|s| s["step"] == "forward").map(|s| s["attempt"].as_i64().unwrap()).collect();
    assert_eq!(forwards, (1..=max + 1).collect::<Vec<_>>(), "one hand-off per attempt, numbered in order");
    // A done event is not reprocessed (it would reach the automation twice).
    let res = http().post(&url).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(&json(res).await), "not_reprocessable");
    let audit = app::domain::store::audit::recent(&app.services.db, None, 50).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "event.reprocess"));
}

/// Reprocess every failed event of an org received in a period; other orgs untouched.
async fn reprocess_a_range_of_failed_events(engine: Engine) {
    let World { app, key, sink } = world(engine).await;
    setup_org(&app, &key, "outra").await;
    set_automation(&app, &key, "outra", json!({"mode": "v2", "v2_url": sink.url})).await;
    sink.set(Behaviour::Status(502));
    let start = app.services.now();
    deliver(&app, "coronel", &wa_message(1, 10, "5511911112222"), "d-1").await;
    deliver(&app, "coronel", &wa_message(2, 11, "5511933334444"), "d-2").await;
    deliver(&app, "outra", &wa_message(3, 12, "5511955556666"), "d-3").await;
    assert_eq!(process(&app).await.failed, 3);
    let body = json!({"from": start - 1000, "to": chrono::DateTime::from_timestamp_millis(app.services.now() + 1000).unwrap().to_rfc3339()});
    let res = http()
        .post(app.url("/api/v1/admin/orgs/coronel/events/reprocess"))
        .bearer_auth(&key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json(res).await["requeued"], 2);
    assert_eq!(list(&app, &key, "coronel", "events?status=pending").await.len(), 2);
    assert_eq!(list(&app, &key, "outra", "events?status=failed").await.len(), 1, "the other org is untouched");
    for bad in [json!({"from": 10, "to": 5}), json!({"from": "ontem", "to": 5}), json!({"from": 1})] {
        let res = http()
            .post(app.url("/api/v1/admin/orgs/coronel/events/reprocess"))
            .bearer_auth(&key)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert!(res.status() == StatusCode::UNPROCESSABLE_ENTITY || res.status() == StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// Several first messages of one new person processed at the same time by concurrent
/// workers: one contact, one identity, one deal.
async fn concurrent_first_messages_make_one_contact_and_one_deal(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| {
        c.workers = Some(0);
        c.batch_size = 1;
    })
    .await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let sends = (0..8).map(|i| {
        let app = &app;
        async move { deliver(app, "coronel", &wa_message(5000 + i, 77, "5521987650000"), &format!("d-{i}")).await }
    });
    for (status, _) in futures::future::join_all(sends).await {
        assert_eq!(status, StatusCode::OK);
    }
    let workers = (0..4).map(|i| {
        let services = app.services.clone();
        tokio::spawn(async move { pipeline::drain(&services, &format!("w{i}")).await.unwrap() })
    });
    let reports = futures::future::join_all(workers).await;
    let processed: usize = reports.into_iter().map(|r| r.unwrap().done).sum();
    assert_eq!(processed, 8);
    assert_eq!(list(&app, &key, "coronel", "contacts").await.len(), 1);
    assert_eq!(list(&app, &key, "coronel", "identities").await.len(), 1);
    assert_eq!(list(&app, &key, "coronel", "deals").await.len(), 1);
    assert_eq!(list(&app, &key, "coronel", "conversations").await.len(), 1);
    assert_eq!(list(&app, &key, "coronel", "events?status=done").await.len(), 8);
}

/// The process dies after accepting (one event even mid-processing): a new process on the
/// same database processes everything, with its real background workers.
async fn a_crash_between_accept_and_processing_loses_nothing(engine: Engine) {
    let World { mut app, key, sink } = world(engine).await;
    for i in 0..5 {
        deliver(&app, "coronel", &wa_message(7000 + i, 900 + i, &format!("55119876500{i:02}")), &format!("d-{i}"))
            .await;
    }
    // A worker claimed one and died: its lease has run out.
    let now = app.services.now();
    let claimed = app::domain::store::queue::claim(&app.services.db, "dead-worker", now, now - 1, 1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let config = app.config.clone();
    app.stop_server();

    let mut config = config;
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.workers = Some(2);
    let (_stop, rx) = tokio::sync::oneshot::channel::<()>();
    let second = start_server(config, async move {
        let _ = rx.await;
    })
    .await
    .unwrap();
    let base = format!("http://{}", second.addr);
    eventually("the 5 events processed after the restart", || async {
        let res = http()
            .get(format!("{base}/api/v1/admin/orgs/coronel/events?status=done"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let done = json(res).await["items"].as_array().unwrap().len();
        if done == 5 {
            Ok(())
        } else {
            Err(format!("{done} done"))
        }
    })
    .await;
    assert_eq!(sink.accepted().len(), 5);
    assert_eq!(ids(&sink.accepted(), "event_id").len(), 5);
}

/// An org with no automation configured, or paused (the rollback contingency): contacts
/// and deals keep being made, nothing is handed off.
async fn paused_or_unconfigured_automation_keeps_ingestion_running(engine: Engine) {
    let World { app, key, sink } = world(engine).await;
    setup_org(&app, &key, "semauto").await;
    deliver(&app, "semauto", &fixture_json("whatsapp_message_created.json"), "d-0").await;
    let (status, view) = set_automation(&app, &key, "coronel", json!({"mode": "paused"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["v2_url"], sink.url, "pausing keeps the URLs for the way back");
    let (_, ack) = deliver(&app, "coronel", &fixture_json("whatsapp_message_created.json"), "d-1").await;
    assert_eq!(process(&app).await.done, 2);
    assert!(sink.accepted().is_empty());
    assert_eq!(list(&app, &key, "coronel", "deals").await.len(), 1);
    assert_eq!(list(&app, &key, "semauto", "deals").await.len(), 1);
    let ev = event(&app, &key, "coronel", &ack["event_id"]).await;
    assert_eq!(steps(&ev).last().unwrap(), &pair("forward", "skipped"));
    let last = ev["steps"].as_array().unwrap().last().unwrap().clone();
    assert!(last["detail"]["message"].as_str().unwrap().contains("pausada"), "{last}");
    // Fallback mode sends to the fallback URL.
    let fallback = Sink::start().await;
    let (status, _) =
        set_automation(&app, &key, "coronel", json!({"mode": "fallback", "fallback_url": fallback.url})).await;
    assert_eq!(status, StatusCode::OK);
    deliver(&app, "coronel", &wa_message(88100, 3311, "5511987654321"), "d-2").await;
    process(&app).await;
    assert_eq!(fallback.accepted().len(), 1);
    assert!(sink.accepted().is_empty());
}

/// Every bad automation setting is refused with the field named.
async fn automation_settings_are_validated(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    let cases = [
        (json!({"mode": "turbo"}), "mode", "mode_invalid"),
        (json!({"mode": "v2"}), "v2_url", "required"),
        (json!({"mode": "fallback", "v2_url": "http://n8n/x"}), "fallback_url", "required"),
        (json!({"v2_url": "ftp://n8n/x"}), "v2_url", "url_invalid"),
        (json!({"timeout_ms": 5}), "timeout_ms", "number_invalid"),
        (json!({"timeout_ms": 10_000_000}), "timeout_ms", "number_invalid"),
    ];
    for (body, field, code) in cases {
        let (status, res) = set_automation(&app, &key, "coronel", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(field_code(&res, field).as_deref(), Some(code), "{body}: {res}");
    }
    let (status, _) = set_automation(&app, &key, "coronel", json!({"modo": "v2"})).await;
    assert!(status.is_client_error(), "unknown fields are refused");
    let (status, _) = set_automation(&app, &key, "nenhuma", json!({"mode": "paused"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = http().get(app.url("/api/v1/admin/orgs/coronel/automation")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "admin key required");
    let res = http().get(app.url("/api/v1/admin/orgs/coronel/automation")).bearer_auth(&key).send().await.unwrap();
    let view = json(res).await;
    assert_eq!((view["configured"].clone(), view["mode"].clone()), (json!(false), json!("paused")));
}

/// Bad filters and cursors of the read APIs are 4xx with a message, never 500.
async fn read_apis_validate_filters_and_paginate(engine: Engine) {
    let World { app, key, .. } = world(engine).await;
    for i in 0..5 {
        deliver(&app, "coronel", &wa_message(100 + i, 200 + i, &format!("55119123400{i:02}")), &format!("d-{i}")).await;
    }
    process(&app).await;
    let first = list(&app, &key, "coronel", "contacts?limit=2").await;
    assert_eq!(first.len(), 2);
    let res =
        http().get(app.url("/api/v1/admin/orgs/coronel/contacts?limit=2")).bearer_auth(&key).send().await.unwrap();
    let page = json(res).await;
    let next = page["next_before"].as_i64().unwrap();
    let second = list(&app, &key, "coronel", &format!("contacts?limit=2&before={next}")).await;
    assert_eq!(second.len(), 2);
    assert!(ids(&first, "id").is_disjoint(&ids(&second, "id")));
    let found = list(&app, &key, "coronel", "contacts?q=912340003").await;
    assert_eq!(found.len(), 1, "search by phone digits");
    let events = list(&app, &key, "coronel", "events?source=whatsapp&status=done").await;
    assert_eq!(events.len(), 5);
    assert!(events[0].get("payload").is_none(), "lists leave payloads out unless asked");
    for (path, code) in [
        ("events?status=quebrado", StatusCode::UNPROCESSABLE_ENTITY),
        ("events?source=telegram", StatusCode::UNPROCESSABLE_ENTITY),
        ("events?from=ontem", StatusCode::UNPROCESSABLE_ENTITY),
        ("events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", StatusCode::UNPROCESSABLE_ENTITY),
        ("events?limit=abc", StatusCode::BAD_REQUEST),
        ("events?colunas=1", StatusCode::BAD_REQUEST),
        ("deals?status=talvez", StatusCode::UNPROCESSABLE_ENTITY),
        ("identities?source=sms", StatusCode::UNPROCESSABLE_ENTITY),
        ("contacts?before=x", StatusCode::BAD_REQUEST),
        ("events/abc", StatusCode::NOT_FOUND),
        ("events/999999", StatusCode::NOT_FOUND),
    ] {
        let res =
            http().get(app.url(&format!("/api/v1/admin/orgs/coronel/{path}"))).bearer_auth(&key).send().await.unwrap();
        assert_eq!(res.status(), code, "{path}");
        let body = json(res).await;
        assert!(!error_code(&body).is_empty(), "{path}: {body}");
    }
    let res = http().get(app.url("/api/v1/admin/orgs/nenhuma/contacts")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// Orgs on Chatwoot older than 4.11.2 authenticate with a token in the URL.
async fn url_token_fallback_for_unsigned_chatwoot(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "antiga").await;
    let res =
        http().post(app.url("/api/v1/admin/orgs/antiga/chatwoot/url-token")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let made = json(res).await;
    let token = made["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 32);
    assert_eq!(made["webhook_path"], format!("/webhooks/chatwoot/antiga/{token}"));
    let res = http().get(app.url("/api/v1/admin/orgs/antiga/chatwoot")).bearer_auth(&key).send().await.unwrap();
    let view = json(res).await;
    assert_eq!(view["auth_mode"], "url_token");
    assert_eq!(view["has_url_token"], true);
    assert!(!view.to_string().contains(&token), "the token is shown once only");

    let body = serde_json::to_vec(&fixture_json("whatsapp_message_created.json")).unwrap();
    let post =
        |path: String| http().post(app.url(&path)).header("content-type", "application/json").body(body.clone()).send();
    let res = post(format!("/webhooks/chatwoot/antiga/{token}")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "unsigned delivery with the right token");
    let res = post("/webhooks/chatwoot/antiga/errado".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&json(res).await), "url_token_invalid");
    let res = post("/webhooks/chatwoot/antiga".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "no token, no entry");
    // A signing org refuses a token path (a misconfiguration shown, not silently accepted).
    setup_org(&app, &key, "nova").await;
    let res = post(format!("/webhooks/chatwoot/nova/{token}")).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Back to signatures: the token stops working.
    let res = http()
        .put(app.url("/api/v1/admin/orgs/antiga/chatwoot"))
        .bearer_auth(&key)
        .json(&json!({"auth_mode": "signature"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = post(format!("/webhooks/chatwoot/antiga/{token}")).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http()
        .put(app.url("/api/v1/admin/orgs/antiga/chatwoot"))
        .bearer_auth(&key)
        .json(&json!({"auth_mode": "hmac"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Payloads that are JSON but not what a customer message looks like are accepted (never
/// lost), then ignored with the reason; none fails or stops the batch.
async fn odd_payloads_are_ignored_with_a_reason_never_failed(engine: Engine) {
    let World { app, key, sink } = world(engine).await;
    let mut no_conversation = wa_message(1, 1, "5511987654321");
    no_conversation.as_object_mut().unwrap().remove("conversation");
    let mut no_source_id = wa_message(2, 2, "5511987654321");
    no_source_id["conversation"]["contact_inbox"] = Value::Null;
    let mut echo = wa_message(3, 3, "5511987654321");
    echo["sender"] = Value::Null;
    let mut widget = wa_message(4, 4, "5511987654321");
    widget["inbox"]["id"] = json!(99);
    widget["conversation"]["inbox_id"] = json!(99);
    let mut wrong_types = wa_message(5, 5, "5511987654321");
    wrong_types["message_type"] = json!(0);
    let bare = json!({"event": "message_created"});
    for (i, body) in [no_conversation, no_source_id, echo, widget, wrong_types, bare].iter().enumerate() {
        let (status, ack) = deliver(&app, "coronel", body, &format!("d-{i}")).await;
        assert_eq!(status, StatusCode::OK, "{body}: {ack}");
    }
    let r = process(&app).await;
    assert_eq!((r.claimed, r.ignored, r.failed), (6, 6, 0), "{r:?}");
    assert!(sink.accepted().is_empty());
    assert!(list(&app, &key, "coronel", "contacts").await.is_empty());
    let reasons: Vec<String> = list(&app, &key, "coronel", "events?status=ignored")
        .await
        .iter()
        .map(|e| e["steps"].as_array().unwrap().last().unwrap()["detail"]["message"].as_str().unwrap().to_string())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("caixa de entrada não mapeada")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("eco")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("source_id")), "{reasons:?}");
}

/// A Chatwoot conversation already linked to one person never gets re-pointed to another:
/// the link stays, a conflict is kept for review.
async fn an_existing_link_is_never_overwritten(engine: Engine) {
    let World { app, key, .. } = world(engine).await;
    deliver(&app, "coronel", &wa_message(1, 3311, "5511987654321"), "d-1").await;
    process(&app).await;
    // Another number in the same Chatwoot conversation (e.g. a contact merge in Chatwoot).
    deliver(&app, "coronel", &wa_message(2, 3311, "5511912345678"), "d-2").await;
    assert_eq!(process(&app).await.done, 1);
    let contacts = list(&app, &key, "coronel", "contacts").await;
    assert_eq!(contacts.len(), 2);
    let first = contacts.iter().find(|c| c["phone"] == "+5511987654321").unwrap()["id"].clone();
    let conv = list(&app, &key, "coronel", "conversations").await;
    assert_eq!(conv.len(), 1);
    assert_eq!(conv[0]["contact_id"], first, "the original link is kept");
    let conflicts = list(&app, &key, "coronel", "identity-conflicts").await;
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["kind"], "conversation_contact_mismatch");
    assert_eq!(conflicts[0]["detail"]["code"], "conversation_linked_elsewhere", "{}", conflicts[0]);
    assert!(conflicts[0]["detail"]["message"].as_str().unwrap().contains("já está ligada a outro contato"));
    assert_eq!(conflicts[0]["contact_id"], first);
    assert_eq!(conflicts[0]["status"], "open");
}

/// Many deliveries at once share commits (group commit) and every one is stored and
/// answered with its own id.
async fn concurrent_deliveries_are_all_stored(engine: Engine) {
    let World { app, key, .. } = world(engine).await;
    let sends =
        (0..200).map(|i| {
            let app = &app;
            async move {
                deliver(app, "coronel", &wa_message(20_000 + i, 1 + i % 7, "5511987654321"), &format!("d-{i}")).await
            }
        });
    let acks = futures::future::join_all(sends).await;
    let mut ids = BTreeSet::new();
    for (status, ack) in &acks {
        assert_eq!(*status, StatusCode::OK, "{ack}");
        assert_eq!(ack["duplicate"], false);
        ids.insert(ack["event_id"].as_i64().unwrap());
    }
    assert_eq!(ids.len(), 200);
    assert_eq!(list(&app, &key, "coronel", "events?limit=500").await.len(), 200);
    assert_eq!(process(&app).await.done, 200);
    assert_eq!(list(&app, &key, "coronel", "contacts").await.len(), 1);
}

/// Acceptance first: while many deliveries are being accepted, the workers wait — but
/// never forever: a batch still runs every half second.
async fn processing_steps_aside_during_a_burst_but_is_never_starved(engine: Engine) {
    let app = TestApp::spawn_with(engine, |c| c.workers = Some(1)).await;
    let key = app.admin_key().await;
    setup_org(&app, &key, "coronel").await;
    // Pretend a burst is being accepted.
    app.services.ingest.accepting.fetch_add(100, std::sync::atomic::Ordering::Relaxed);
    let accepted = std::time::Instant::now();
    let (_, ack) = deliver(&app, "coronel", &fixture_json("whatsapp_message_created.json"), "d-1").await;
    until("the event processed despite the burst (never starved)", || async {
        event(&app, &key, "coronel", &ack["event_id"]).await["status"] == "done"
    })
    .await;
    // The worker yields a hundred times 5 ms before it runs a batch under pressure.
    assert!(accepted.elapsed() >= std::time::Duration::from_millis(400), "processing waits during a burst");
    app.services.ingest.accepting.fetch_sub(100, std::sync::atomic::Ordering::Relaxed);
}

#[test]
fn the_webhook_token_never_reaches_the_logs() {
    use ponte_server::http::loggable_path;
    assert_eq!(loggable_path("/webhooks/chatwoot/antiga/abc123"), "/webhooks/chatwoot/antiga/***");
    assert_eq!(loggable_path("/webhooks/chatwoot/antiga"), "/webhooks/chatwoot/antiga");
    assert_eq!(loggable_path("/api/v1/admin/orgs"), "/api/v1/admin/orgs");
}

/// When storage refuses an event's identity and deal, the event fails and is retried;
/// its step and last error say that storage refused, never the database's own words.
async fn a_refused_identity_write_shows_a_storage_note_not_the_database_error(engine: Engine) {
    let World { app, key, .. } = world(engine).await;
    exec(&app, "ALTER TABLE deals RENAME TO deals_away").await;
    let (_, ack) = deliver(&app, "coronel", &fixture_json("whatsapp_message_created.json"), "d-1").await;
    let r = process(&app).await;
    exec(&app, "ALTER TABLE deals_away RENAME TO deals").await;
    assert_eq!((r.claimed, r.failed), (1, 1), "{r:?}");
    let ev = event(&app, &key, "coronel", &ack["event_id"]).await;
    assert_eq!(ev["status"], "failed");
    assert_eq!(ev["last_error"]["code"], "storage_failed", "{ev}");
    let failed = ev["steps"].as_array().unwrap().iter().find(|s| s["outcome"] == "failed").unwrap().clone();
    assert_eq!(
        (failed["step"].as_str(), failed["detail"]["code"].as_str()),
        (Some("identity"), Some("storage_failed"))
    );
    let text = format!("{} {}", ev["last_error"], ev["steps"]);
    assert!(!text.contains("deals") && !text.contains("no such table") && !text.contains("relation"), "{ev}");
}

both_engines!(
    a_refused_identity_write_shows_a_storage_note_not_the_database_error,
    scenario_1_whatsapp_regression_on_an_active_org,
    scenario_2_first_instagram_dm_creates_everything,
    scenario_3_instagram_redelivery_and_repeats_are_idempotent,
    scenario_4_sessions_stay_isolated_across_channels_and_orgs,
    scenario_5_automation_outage_retries_without_loss,
    dead_letter_and_reprocess,
    reprocess_a_range_of_failed_events,
    concurrent_first_messages_make_one_contact_and_one_deal,
    a_crash_between_accept_and_processing_loses_nothing,
    paused_or_unconfigured_automation_keeps_ingestion_running,
    automation_settings_are_validated,
    read_apis_validate_filters_and_paginate,
    url_token_fallback_for_unsigned_chatwoot,
    odd_payloads_are_ignored_with_a_reason_never_failed,
    an_existing_link_is_never_overwritten,
    concurrent_deliveries_are_all_stored,
    processing_steps_aside_during_a_burst_but_is_never_starved,
);
