//! Property: any sequence of Chatwoot deliveries, applied a second time (as Chatwoot's
//! re-deliveries do, with new delivery ids), leaves the database and the automation
//! exactly as the first application did. Runs on both engines (issue: ingestion).

use crate::common::chatwoot::*;
use crate::common::sink::Sink;
use crate::common::*;
use app::domain::ingest::pipeline;
use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestRunner};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Clone, Debug)]
enum Delivery {
    /// A customer's WhatsApp message; `ninth` = sent with the BR mobile ninth digit.
    Whatsapp {
        person: u8,
        msg: u8,
        ninth: bool,
    },
    Instagram {
        person: u8,
        msg: u8,
    },
    /// An agent's reply in a WhatsApp conversation.
    Reply {
        person: u8,
        msg: u8,
    },
    /// A status update of a customer's WhatsApp message.
    Update {
        person: u8,
        msg: u8,
    },
    ConversationCreated,
}

fn delivery() -> impl Strategy<Value = Delivery> {
    prop_oneof![
        (0u8..3, 0u8..4, any::<bool>()).prop_map(|(person, msg, ninth)| Delivery::Whatsapp { person, msg, ninth }),
        (0u8..3, 0u8..4).prop_map(|(person, msg)| Delivery::Instagram { person, msg }),
        (0u8..3, 0u8..4).prop_map(|(person, msg)| Delivery::Reply { person, msg }),
        (0u8..3, 0u8..4).prop_map(|(person, msg)| Delivery::Update { person, msg }),
        Just(Delivery::ConversationCreated),
    ]
}

fn wa_id(person: u8, ninth: bool) -> String {
    if ninth {
        format!("5511987650{person:03}")
    } else {
        format!("551187650{person:03}")
    }
}

fn body(d: &Delivery) -> Value {
    // Chatwoot's message ids are unique per install: one per (channel, person, message).
    let id = |channel: i64, person: u8, msg: u8| 10_000 * channel + 100 * person as i64 + msg as i64;
    match *d {
        Delivery::Whatsapp { person, msg, ninth } => {
            wa_message(id(1, person, msg), 500 + person as i64, &wa_id(person, ninth))
        }
        Delivery::Instagram { person, msg } => {
            ig_message(id(2, person, msg), 600 + person as i64, &format!("17894561230{person:05}"))
        }
        Delivery::Reply { person, msg } => {
            let mut m = fixture_json("whatsapp_outgoing_message_created.json");
            m["id"] = json!(id(3, person, msg));
            m["conversation"]["id"] = json!(500 + person as i64);
            m
        }
        Delivery::Update { person, msg } => {
            let mut m = wa_message(id(1, person, msg), 500 + person as i64, &wa_id(person, true));
            m["event"] = json!("message_updated");
            m
        }
        Delivery::ConversationCreated => fixture_json("conversation_created_whatsapp.json"),
    }
}

/// Everything a delivery can change, in a comparable form.
async fn snapshot(app: &TestApp, key: &str, slug: &str, sink: &Sink) -> Value {
    let strip = |items: Vec<Value>, keep: &[&str]| -> Vec<Value> {
        items.into_iter().map(|v| keep.iter().map(|k| ((*k).to_string(), v[*k].clone())).collect()).collect()
    };
    let handoffs =
        sink.accepted().into_iter().filter(|b| b["org"] == slug).map(|b| b["event_id"].clone()).collect::<Vec<_>>();
    json!({
        "contacts": strip(list(app, key, slug, "contacts?limit=500").await, &["id", "name", "phone"]),
        "identities": strip(list(app, key, slug, "identities?limit=500").await, &["id", "contact_id", "source", "external_id"]),
        "deals": strip(list(app, key, slug, "deals?limit=500").await, &["id", "contact_id", "stage", "status"]),
        "conversations": strip(list(app, key, slug, "conversations?limit=500").await, &["id", "chatwoot_conversation_id", "contact_id", "deal_id", "source"]),
        "events": strip(list(app, key, slug, "events?limit=500").await, &["id", "event", "status", "source"]),
        "conflicts": list(app, key, slug, "identity-conflicts?limit=500").await.len(),
        "handoffs": handoffs,
    })
}

fn property(engine: Engine) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (app, key, sink) = rt.block_on(async {
        let app = TestApp::spawn_with(engine, |c| c.workers = Some(0)).await;
        let key = app.admin_key().await;
        let sink = Sink::start().await;
        (app, key, sink)
    });
    let case = AtomicUsize::new(0);
    let mut runner = TestRunner::new(PropConfig { cases: 16, failure_persistence: None, ..PropConfig::default() });
    let result = runner.run(&proptest::collection::vec(delivery(), 1..10), |seq| {
        let slug = format!("prop-{}", case.fetch_add(1, Ordering::Relaxed));
        let (first, second) = rt.block_on(async {
            setup_org(&app, &key, &slug).await;
            let (status, _) = set_automation(&app, &key, &slug, json!({"mode": "v2", "v2_url": sink.url})).await;
            assert_eq!(status.as_u16(), 200);
            let apply = |round: &'static str| {
                let (app, slug, seq) = (&app, &slug, &seq);
                async move {
                    for (i, d) in seq.iter().enumerate() {
                        let (status, ack) = deliver(app, slug, &body(d), &format!("{round}-{i}")).await;
                        assert_eq!(status.as_u16(), 200, "{d:?}: {ack}");
                    }
                    pipeline::drain(&app.services, "prop").await.unwrap();
                }
            };
            apply("first").await;
            let first = snapshot(&app, &key, &slug, &sink).await;
            apply("again").await;
            (first, snapshot(&app, &key, &slug, &sink).await)
        });
        prop_assert_eq!(first, second);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn deliveries_applied_twice_leave_the_same_state_sqlite() {
    property(Engine::Sqlite)
}

#[test]
fn deliveries_applied_twice_leave_the_same_state_postgres() {
    property(Engine::Postgres)
}
