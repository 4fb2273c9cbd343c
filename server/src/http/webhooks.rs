//! `POST /webhooks/chatwoot/{org}[/{token}]`: Chatwoot's deliveries. The raw body is handed to the
//! domain unparsed (the signature covers its exact bytes); the answer comes only after the
//! event is committed.

use super::error::ApiResult;
use super::AppState;
use app::domain::ingest::{self, Delivery};
use app::model::WebhookAck;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new().route("/chatwoot/{org}", post(chatwoot)).route("/chatwoot/{org}/{token}", post(chatwoot_with_token))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn chatwoot(
    State(s): State<AppState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookAck>> {
    receive(s, org, None, headers, body).await
}

/// Chatwoot older than 4.11.2 cannot sign: such orgs authenticate with a long random
/// token in the path instead.
async fn chatwoot_with_token(
    State(s): State<AppState>,
    Path((org, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookAck>> {
    receive(s, org, Some(token), headers, body).await
}

async fn receive(
    s: AppState,
    org: String,
    token: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookAck>> {
    let delivery = Delivery {
        delivery_id: header(&headers, "x-chatwoot-delivery"),
        timestamp: header(&headers, "x-chatwoot-timestamp"),
        signature: header(&headers, "x-chatwoot-signature"),
        url_token: token.as_deref(),
        body: &body,
    };
    match ingest::accept(&s.services, &org, &delivery).await {
        Ok(ack) => Ok(Json(ack)),
        Err(e) => {
            // Refusals are logged for the operators (never the body or the secret).
            tracing::warn!(org = %org, delivery = ?delivery.delivery_id, code = ?e.code(), bytes = body.len(), "webhook refused");
            Err(e.into())
        }
    }
}
