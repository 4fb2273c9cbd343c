//! A stand-in for an org's n8n webhook: records every hand-off it receives and answers
//! as told (200, an HTTP error, or too late), so tests can take the automation down and
//! bring it back.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Ok,
    Status(u16),
    /// Answers 200 only after this long (longer than the org's timeout = a timeout).
    Slow(u64),
}

#[derive(Default)]
struct Inner {
    behaviour: Option<Behaviour>,
    received: Vec<(HeaderMap, Value)>,
    refused: usize,
}

#[derive(Clone)]
pub struct Sink {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl Sink {
    pub async fn start() -> Sink {
        let inner = Arc::new(Mutex::new(Inner { behaviour: Some(Behaviour::Ok), ..Default::default() }));
        let app = Router::new().route("/hook", post(receive)).with_state(inner.clone());
        let listener = super::loopback_listener().await;
        let addr = listener.local_addr().unwrap();
        super::server_runtime().spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Sink { url: format!("http://{addr}/hook"), inner }
    }

    pub fn set(&self, b: Behaviour) {
        self.inner.lock().unwrap().behaviour = Some(b);
    }

    /// Bodies of the hand-offs answered 2xx, in arrival order.
    pub fn accepted(&self) -> Vec<Value> {
        self.inner.lock().unwrap().received.iter().map(|(_, b)| b.clone()).collect()
    }

    pub fn accepted_headers(&self) -> Vec<HeaderMap> {
        self.inner.lock().unwrap().received.iter().map(|(h, _)| h.clone()).collect()
    }

    /// How many hand-offs were answered with an error or too late.
    pub fn refused(&self) -> usize {
        self.inner.lock().unwrap().refused
    }
}

async fn receive(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, Json(body): Json<Value>) -> StatusCode {
    let behaviour = inner.lock().unwrap().behaviour.unwrap_or(Behaviour::Ok);
    match behaviour {
        Behaviour::Ok => {
            inner.lock().unwrap().received.push((headers, body));
            StatusCode::OK
        }
        Behaviour::Status(code) => {
            inner.lock().unwrap().refused += 1;
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        Behaviour::Slow(ms) => {
            inner.lock().unwrap().refused += 1;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            StatusCode::OK
        }
    }
}
