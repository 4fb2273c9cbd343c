//! `ponte-load sink`: stands in for the org's automation (its n8n workflow). Answers 200 to
//! every `POST /hook` (or `/hook/{tag}`) and counts them, so "processed" in a run means Ponte
//! really handed the event off over HTTP. `GET /count` → `{"count": deliveries, "distinct":
//! distinct events}`. Events are told apart by Ponte's `X-Ponte-Event-Id` (a repeat is an
//! at-least-once redelivery); ids restart in each database, so servers sharing one sink
//! should each post to their own `/hook/{tag}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Counts {
    deliveries: AtomicU64,
    /// Deliveries without a readable event id: each counts as distinct.
    anonymous: AtomicU64,
    /// (tag, event id) of every delivery seen.
    events: Mutex<HashSet<(String, i64)>>,
}

fn record(c: &Counts, tag: String, headers: &HeaderMap) {
    c.deliveries.fetch_add(1, Ordering::Relaxed);
    match headers.get("x-ponte-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok()) {
        Some(id) => {
            c.events.lock().expect("sink lock").insert((tag, id));
        }
        None => {
            c.anonymous.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn hook(State(c): State<Arc<Counts>>, headers: HeaderMap, _body: Bytes) -> StatusCode {
    record(&c, String::new(), &headers);
    StatusCode::OK
}

async fn tagged_hook(
    State(c): State<Arc<Counts>>,
    Path(tag): Path<String>,
    headers: HeaderMap,
    _body: Bytes,
) -> StatusCode {
    record(&c, tag, &headers);
    StatusCode::OK
}

async fn count(State(c): State<Arc<Counts>>) -> Json<Value> {
    let distinct = c.events.lock().expect("sink lock").len() as u64 + c.anonymous.load(Ordering::Relaxed);
    Json(json!({"count": c.deliveries.load(Ordering::Relaxed), "distinct": distinct}))
}

pub async fn serve(bind: SocketAddr) -> Result<(), String> {
    let app = Router::new()
        .route("/hook", post(hook))
        .route("/hook/{tag}", post(tagged_hook))
        .route("/count", get(count))
        .with_state(Arc::default());
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("ponte-load sink listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_id(id: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-ponte-event-id", id.parse().unwrap());
        h
    }

    #[tokio::test]
    async fn repeats_count_once_per_tag_and_anonymous_deliveries_each_count() {
        let c = Arc::new(Counts::default());
        record(&c, String::new(), &with_id("1"));
        record(&c, String::new(), &with_id("1"));
        record(&c, "sqlite".into(), &with_id("1"));
        record(&c, "postgres".into(), &with_id("1"));
        record(&c, "postgres".into(), &HeaderMap::new());
        let Json(v) = count(State(c)).await;
        assert_eq!(v, json!({"count": 5, "distinct": 4}));
    }
}
