//! A faithful fake Chatwoot: the REST paths, JSON shapes and error answers of
//! `tests/fixtures/chatwoot` (Chatwoot 4.x), on a random loopback port. One real behaviour:
//! an incoming message created on an API-channel inbox is delivered as a signed
//! `message_created` webhook to every account webhook subscribed to it, once, no retry.

use super::{loopback_listener, server_runtime};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// The fake's account (the fixtures' account 7).
pub const ACCOUNT: i64 = 7;
/// An administrator of the account.
pub const ADMIN_TOKEN: &str = "cw-admin-token-7";
/// An agent of the account: may read, may not manage webhooks.
pub const AGENT_TOKEN: &str = "cw-agent-token-7";
/// The API-channel inbox and its open conversation (where incoming messages can be made).
pub const API_INBOX: i64 = 14;
pub const API_CONVERSATION: i64 = 302;
/// A WhatsApp Cloud conversation.
pub const WHATSAPP_CONVERSATION: i64 = 301;

const EVENTS: [&str; 7] = [
    "message_created",
    "message_updated",
    "conversation_created",
    "conversation_status_changed",
    "conversation_updated",
    "contact_created",
    "contact_updated",
];

struct Account {
    name: String,
    inboxes: Vec<Value>,
    webhooks: Vec<Value>,
    contacts: Vec<Value>,
    /// Conversations by display id, with the contact and source id they belong to.
    conversations: Vec<Value>,
    /// Contact inboxes made by `POST /contacts` with an `inbox_id`: `{contact_id, inbox_id, source_id}`.
    contact_inboxes: Vec<Value>,
    messages: HashMap<i64, Vec<Value>>,
}

struct Fake {
    accounts: HashMap<i64, Account>,
    next_id: i64,
    delay: Duration,
}

type Shared = Arc<Mutex<Fake>>;

pub struct FakeChatwoot {
    pub base: String,
    state: Shared,
    stop: Option<oneshot::Sender<()>>,
}

impl FakeChatwoot {
    pub async fn start() -> FakeChatwoot {
        let state: Shared = Arc::new(Mutex::new(Fake { accounts: seed(), next_id: 90_000, delay: Duration::ZERO }));
        let listener = loopback_listener().await;
        let base = format!("http://{}", listener.local_addr().expect("fake address"));
        let (tx, rx) = oneshot::channel::<()>();
        let router = routes(state.clone());
        server_runtime().spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        FakeChatwoot { base, state, stop: Some(tx) }
    }

    /// Every answer waits this long first (to test the client's timeout).
    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// Stops listening: later calls find nothing there.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// The webhooks stored for the account, as the API lists them.
    pub fn webhooks(&self) -> Vec<Value> {
        self.state.lock().unwrap().accounts[&ACCOUNT].webhooks.clone()
    }
}

impl Drop for FakeChatwoot {
    fn drop(&mut self) {
        self.stop();
    }
}

fn seed() -> HashMap<i64, Account> {
    let inbox = |id: i64, name: &str, channel: &str, extra: Value| {
        let mut i = json!({"id": id, "name": name, "channel_type": channel, "channel_id": id + 100,
            "avatar_url": "", "greeting_enabled": false, "working_hours_enabled": false});
        i.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        i
    };
    let inboxes = vec![
        inbox(
            12,
            "WhatsApp Coronel",
            "Channel::Whatsapp",
            json!({"phone_number": "+5511940000000", "provider": "whatsapp_cloud"}),
        ),
        inbox(13, "Instagram Coronel", "Channel::Instagram", json!({"instagram_id": "17841400000000001"})),
        inbox(API_INBOX, "Ponte WhatsApp (API)", "Channel::Api", json!({"webhook_url": ""})),
        inbox(15, "Site", "Channel::WebWidget", json!({"website_url": "https://coronelpicanha.com.br"})),
        inbox(16, "Facebook Coronel", "Channel::FacebookPage", json!({"page_id": "1029384756"})),
        inbox(
            17,
            "WhatsApp Twilio",
            "Channel::TwilioSms",
            json!({"phone_number": "+5511940000001", "medium": "whatsapp"}),
        ),
        inbox(18, "E-mail", "Channel::Email", json!({"email": "contato@coronelpicanha.com.br"})),
    ];
    let contacts = vec![
        json!({"id": 501, "name": "Marina Souza", "email": null, "phone_number": "+5511987654321",
            "identifier": null, "additional_attributes": {}, "custom_attributes": {}, "thumbnail": "", "blocked": false}),
        json!({"id": 502, "name": "Rafael Lima", "email": "rafael@exemplo.com.br", "phone_number": "+5521976543210",
            "identifier": "bridge-rafael", "additional_attributes": {}, "custom_attributes": {}, "thumbnail": "", "blocked": false}),
        // Instagram only: no e-mail, phone or identifier, so search never finds it.
        json!({"id": 503, "name": "bitter-glitter-645", "email": null, "phone_number": null, "identifier": null,
            "additional_attributes": {"social_instagram_user_name": "bitter.glitter"}, "custom_attributes": {},
            "thumbnail": "", "blocked": false}),
    ];
    let conversations = vec![
        json!({"id": WHATSAPP_CONVERSATION, "inbox_id": 12, "contact_id": 501, "source_id": "5511987654321", "channel": "Channel::Whatsapp"}),
        json!({"id": API_CONVERSATION, "inbox_id": API_INBOX, "contact_id": 502,
            "source_id": "7d1c6a0e-3b2f-4a59-9c1e-5f2b8e0d4a11", "channel": "Channel::Api"}),
    ];
    let mut messages = HashMap::new();
    messages.insert(
        WHATSAPP_CONVERSATION,
        vec![json!({"id": 88001, "content": "Oi, vocês entregam no Morumbi?", "inbox_id": 12,
            "conversation_id": WHATSAPP_CONVERSATION, "message_type": 0, "content_type": "text", "status": "sent",
            "content_attributes": {}, "created_at": 1771164200, "private": false,
            "source_id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDMEU0", "sender": {"id": 501, "type": "contact"}})],
    );
    messages.insert(API_CONVERSATION, Vec::new());
    let account = Account {
        name: "Coronel Picanha".into(),
        inboxes,
        webhooks: Vec::new(),
        contacts,
        conversations,
        contact_inboxes: Vec::new(),
        messages,
    };
    HashMap::from([(ACCOUNT, account)])
}

fn routes(state: Shared) -> Router {
    Router::new()
        .route("/api/v1/profile", get(profile))
        .route("/api/v1/accounts/{account}/inboxes", get(inboxes))
        .route("/api/v1/accounts/{account}/webhooks", get(list_webhooks).post(create_webhook))
        .route("/api/v1/accounts/{account}/webhooks/{id}", patch(update_webhook).delete(delete_webhook))
        .route("/api/v1/accounts/{account}/contacts", axum::routing::post(create_contact))
        .route("/api/v1/accounts/{account}/conversations", axum::routing::post(create_conversation))
        .route("/api/v1/accounts/{account}/contacts/search", get(search_contacts))
        .route("/api/v1/accounts/{account}/contacts/{id}", get(contact))
        .route("/api/v1/accounts/{account}/conversations/{id}", get(conversation))
        .route("/api/v1/accounts/{account}/conversations/{id}/messages", get(messages).post(create_message))
        .with_state(state)
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn not_found() -> Response {
    answer(StatusCode::NOT_FOUND, json!({"error": "Resource could not be found"}))
}

fn unprocessable(message: &str) -> Response {
    answer(StatusCode::UNPROCESSABLE_ENTITY, json!({"message": message, "attributes": ["url"]}))
}

#[derive(PartialEq)]
enum Role {
    Administrator,
    Agent,
}

/// Chatwoot's order: the token first (401), then the account (404), then the role (401).
async fn authorize(
    state: &Shared,
    headers: &HeaderMap,
    account: Option<i64>,
    admin_only: bool,
) -> Result<Role, Response> {
    let delay = state.lock().unwrap().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let role = match headers.get("api_access_token").and_then(|v| v.to_str().ok()) {
        None => {
            let body = json!({"errors": ["You need to sign in or sign up before continuing."]});
            return Err(answer(StatusCode::UNAUTHORIZED, body));
        }
        Some(ADMIN_TOKEN) => Role::Administrator,
        Some(AGENT_TOKEN) => Role::Agent,
        Some(_) => return Err(answer(StatusCode::UNAUTHORIZED, json!({"error": "Invalid Access Token"}))),
    };
    if let Some(account) = account {
        if !state.lock().unwrap().accounts.contains_key(&account) {
            return Err(not_found());
        }
    }
    if admin_only && role != Role::Administrator {
        return Err(answer(StatusCode::UNAUTHORIZED, json!({"error": "You are not authorized to do this action"})));
    }
    Ok(role)
}

async fn profile(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let role = match authorize(&state, &headers, None, false).await {
        Ok(role) => role,
        Err(res) => return res,
    };
    let (id, name, email, role) = match role {
        Role::Administrator => (1, "Ana Implantação", "ana@ponte.test", "administrator"),
        Role::Agent => (2, "Bruno Atendente", "bruno@coronelpicanha.com.br", "agent"),
    };
    let accounts: Vec<Value> = state
        .lock()
        .unwrap()
        .accounts
        .iter()
        .map(|(id, a)| json!({"id": id, "name": a.name, "role": role, "status": "active", "active_at": null}))
        .collect();
    answer(
        StatusCode::OK,
        json!({"id": id, "name": name, "email": email, "available_name": name, "type": "SuperAdmin",
            "confirmed": true, "account_id": ACCOUNT, "accounts": accounts, "access_token": "hidden"}),
    )
}

async fn inboxes(State(state): State<Shared>, Path(account): Path<i64>, headers: HeaderMap) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), false).await {
        return res;
    }
    let payload = state.lock().unwrap().accounts[&account].inboxes.clone();
    answer(StatusCode::OK, json!({"payload": payload}))
}

async fn list_webhooks(State(state): State<Shared>, Path(account): Path<i64>, headers: HeaderMap) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), true).await {
        return res;
    }
    let webhooks = state.lock().unwrap().accounts[&account].webhooks.clone();
    answer(StatusCode::OK, json!({"payload": {"webhooks": webhooks}}))
}

/// The `webhook` object of a body, or the body itself (Chatwoot takes both).
fn webhook_fields(body: &Value) -> &Value {
    body.get("webhook").unwrap_or(body)
}

/// Chatwoot's validations (an http(s) URL, a non-empty list of known events): the 422, if any.
fn refusal(fields: &Value) -> Option<Response> {
    if let Some(url) = fields.get("url") {
        let ok = url
            .as_str()
            .and_then(|u| reqwest::Url::parse(u).ok())
            .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok {
            return Some(unprocessable("Url is invalid"));
        }
    }
    if let Some(subs) = fields.get("subscriptions") {
        let known = subs.as_array().is_some_and(|list| {
            !list.is_empty() && list.iter().all(|s| s.as_str().is_some_and(|s| EVENTS.contains(&s)))
        });
        if !known {
            return Some(answer(StatusCode::UNPROCESSABLE_ENTITY, json!({"error": "Invalid subscriptions"})));
        }
    }
    None
}

async fn create_webhook(
    State(state): State<Shared>,
    Path(account): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), true).await {
        return res;
    }
    let fields = webhook_fields(&body);
    if fields.get("url").is_none() {
        return unprocessable("Url is invalid");
    }
    if let Some(res) = refusal(fields) {
        return res;
    }
    let mut fake = state.lock().unwrap();
    fake.next_id += 1;
    let id = fake.next_id;
    let hooks = &mut fake.accounts.get_mut(&account).unwrap().webhooks;
    if hooks.iter().any(|w| w["url"] == fields["url"]) {
        return unprocessable("Url has already been taken");
    }
    let subscriptions = fields.get("subscriptions").cloned().unwrap_or_else(|| json!(EVENTS));
    let webhook = json!({"id": id, "name": fields.get("name").cloned().unwrap_or(Value::Null), "url": fields["url"],
        "subscriptions": subscriptions, "account_id": account,
        "secret": format!("whsec_{}", app::domain::auth::random_token())});
    hooks.push(webhook.clone());
    answer(StatusCode::OK, json!({"payload": {"webhook": webhook}}))
}

async fn update_webhook(
    State(state): State<Shared>,
    Path((account, id)): Path<(i64, i64)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), true).await {
        return res;
    }
    let fields = webhook_fields(&body);
    if let Some(res) = refusal(fields) {
        return res;
    }
    let mut fake = state.lock().unwrap();
    let hooks = &mut fake.accounts.get_mut(&account).unwrap().webhooks;
    let Some(webhook) = hooks.iter_mut().find(|w| w["id"] == id) else {
        return not_found();
    };
    for field in ["url", "name", "subscriptions"] {
        if let Some(v) = fields.get(field) {
            webhook[field] = v.clone();
        }
    }
    answer(StatusCode::OK, json!({"payload": {"webhook": webhook}}))
}

async fn delete_webhook(
    State(state): State<Shared>,
    Path((account, id)): Path<(i64, i64)>,
    headers: HeaderMap,
) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), true).await {
        return res;
    }
    let mut fake = state.lock().unwrap();
    let hooks = &mut fake.accounts.get_mut(&account).unwrap().webhooks;
    let before = hooks.len();
    hooks.retain(|w| w["id"] != id);
    if hooks.len() == before {
        return not_found();
    }
    StatusCode::OK.into_response()
}

async fn search_contacts(
    State(state): State<Shared>,
    Path(account): Path<i64>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), false).await {
        return res;
    }
    let q = query.get("q").map(|q| q.to_lowercase()).unwrap_or_default();
    let fake = state.lock().unwrap();
    let found: Vec<Value> = fake.accounts[&account]
        .contacts
        .iter()
        // Chatwoot lists only contacts with an e-mail, phone or identifier (issues #3621, #15586).
        .filter(|c| ["email", "phone_number", "identifier"].iter().any(|f| c[*f].is_string()))
        .filter(|c| {
            ["name", "email", "phone_number", "identifier"]
                .iter()
                .any(|f| c[*f].as_str().is_some_and(|v| v.to_lowercase().contains(&q)))
        })
        .cloned()
        .collect();
    answer(StatusCode::OK, json!({"meta": {"count": found.len(), "current_page": 1}, "payload": found}))
}

async fn contact(State(state): State<Shared>, Path((account, id)): Path<(i64, i64)>, headers: HeaderMap) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), false).await {
        return res;
    }
    let fake = state.lock().unwrap();
    let a = &fake.accounts[&account];
    let Some(contact) = a.contacts.iter().find(|c| c["id"] == id) else {
        return not_found();
    };
    let contact_inboxes: Vec<Value> = a
        .conversations
        .iter()
        .filter(|c| c["contact_id"] == id)
        .map(|c| json!({"source_id": c["source_id"], "inbox": inbox_of(a, &c["inbox_id"])}))
        .collect();
    let mut payload = contact.clone();
    payload["contact_inboxes"] = json!(contact_inboxes);
    answer(StatusCode::OK, json!({"payload": payload}))
}

/// `POST /contacts {"inbox_id", "name", "identifier"?, …}`: the contact and, with an inbox,
/// its contact inbox (a new source id). The identifier is unique per account (422).
async fn create_contact(
    State(state): State<Shared>,
    Path(account): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), false).await {
        return res;
    }
    let mut fake = state.lock().unwrap();
    fake.next_id += 1;
    let id = fake.next_id;
    let a = fake.accounts.get_mut(&account).unwrap();
    let identifier = body["identifier"].as_str().map(str::to_string);
    if identifier.is_some() && a.contacts.iter().any(|c| c["identifier"].as_str() == identifier.as_deref()) {
        return answer(StatusCode::UNPROCESSABLE_ENTITY, json!({"message": "Identifier has already been taken"}));
    }
    let contact = json!({"id": id, "name": body["name"], "email": body["email"], "phone_number": body["phone_number"],
        "identifier": identifier, "additional_attributes": {}, "custom_attributes": {}, "thumbnail": "", "blocked": false});
    a.contacts.push(contact.clone());
    let contact_inbox = match body["inbox_id"].as_i64() {
        None => Value::Null,
        Some(inbox) => {
            let found = inbox_of(a, &json!(inbox));
            if found.is_null() {
                return answer(StatusCode::UNPROCESSABLE_ENTITY, json!({"message": "Inbox not found"}));
            }
            let source_id = format!("fake-{id}-{}", &app::domain::auth::random_token()[..12]);
            a.contact_inboxes.push(json!({"contact_id": id, "inbox_id": inbox, "source_id": source_id}));
            json!({"inbox": found, "source_id": source_id})
        }
    };
    answer(StatusCode::OK, json!({"payload": {"contact": contact, "contact_inbox": contact_inbox}}))
}

/// `POST /conversations {"source_id", "inbox_id", "contact_id"}`: a conversation of a contact
/// inbox made before; answered as the REST conversation.
async fn create_conversation(
    State(state): State<Shared>,
    Path(account): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), false).await {
        return res;
    }
    let mut fake = state.lock().unwrap();
    fake.next_id += 1;
    let id = fake.next_id;
    let a = fake.accounts.get_mut(&account).unwrap();
    let known = a.contact_inboxes.iter().any(|ci| {
        ci["source_id"] == body["source_id"]
            && ci["inbox_id"] == body["inbox_id"]
            && ci["contact_id"] == body["contact_id"]
    });
    if !known {
        return not_found();
    }
    let channel = inbox_of(a, &body["inbox_id"])["channel_type"].clone();
    let conv = json!({"id": id, "inbox_id": body["inbox_id"], "contact_id": body["contact_id"],
        "source_id": body["source_id"], "channel": channel});
    a.conversations.push(conv.clone());
    a.messages.insert(id, Vec::new());
    answer(StatusCode::OK, rest_conversation(account, a, &conv))
}

fn inbox_of(account: &Account, id: &Value) -> Value {
    account.inboxes.iter().find(|i| &i["id"] == id).cloned().unwrap_or(Value::Null)
}

/// The REST conversation object (no top-level `contact_inbox`).
fn rest_conversation(account_id: i64, account: &Account, conv: &Value) -> Value {
    let sender = account.contacts.iter().find(|c| c["id"] == conv["contact_id"]).cloned().unwrap_or(Value::Null);
    let latest: Vec<Value> =
        account.messages[&conv["id"].as_i64().unwrap_or_default()].iter().last().cloned().into_iter().collect();
    json!({"id": conv["id"], "account_id": account_id, "inbox_id": conv["inbox_id"], "status": "open",
        "meta": {"sender": sender, "channel": conv["channel"], "assignee": null, "hmac_verified": false},
        "messages": latest, "labels": [], "custom_attributes": {}, "additional_attributes": {},
        "unread_count": 0, "timestamp": 1771164200, "created_at": 1771164200})
}

fn find_conversation(account: &Account, id: i64) -> Option<&Value> {
    account.conversations.iter().find(|c| c["id"] == id)
}

async fn conversation(
    State(state): State<Shared>,
    Path((account, id)): Path<(i64, i64)>,
    headers: HeaderMap,
) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), false).await {
        return res;
    }
    let fake = state.lock().unwrap();
    let a = &fake.accounts[&account];
    match find_conversation(a, id) {
        Some(conv) => answer(StatusCode::OK, rest_conversation(account, a, conv)),
        None => not_found(),
    }
}

async fn messages(State(state): State<Shared>, Path((account, id)): Path<(i64, i64)>, headers: HeaderMap) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), false).await {
        return res;
    }
    let fake = state.lock().unwrap();
    let a = &fake.accounts[&account];
    let Some(conv) = find_conversation(a, id) else {
        return not_found();
    };
    let meta = json!({"labels": [], "additional_attributes": {}, "contact": {"id": conv["contact_id"]}});
    answer(StatusCode::OK, json!({"meta": meta, "payload": a.messages[&id]}))
}

async fn create_message(
    State(state): State<Shared>,
    Path((account, id)): Path<(i64, i64)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Err(res) = authorize(&state, &headers, Some(account), false).await {
        return res;
    }
    let (message, deliveries) = {
        let mut fake = state.lock().unwrap();
        fake.next_id += 1;
        let message_id = fake.next_id;
        let a = fake.accounts.get_mut(&account).unwrap();
        let Some(conv) = find_conversation(a, id).cloned() else {
            return not_found();
        };
        let incoming = body["message_type"] == "incoming";
        if incoming && conv["channel"] != "Channel::Api" {
            let said = "Incoming messages are only allowed in Api inboxes";
            return answer(StatusCode::UNPROCESSABLE_ENTITY, json!({"error": said}));
        }
        let private = body["private"].as_bool().unwrap_or(false);
        let sender = if incoming {
            json!({"id": conv["contact_id"], "type": "contact"})
        } else {
            json!({"id": 1, "type": "user"})
        };
        let message = json!({"id": message_id, "content": body["content"], "inbox_id": conv["inbox_id"],
            "conversation_id": id, "message_type": if incoming { 0 } else { 1 }, "content_type": "text",
            "status": "sent", "content_attributes": {}, "created_at": now_secs(), "private": private,
            "source_id": null, "sender": sender});
        a.messages.get_mut(&id).unwrap().push(message.clone());
        let deliveries: Vec<(String, String, Vec<u8>)> = if incoming {
            let event = webhook_event(account, a, &conv, &message);
            let bytes = serde_json::to_vec(&event).unwrap();
            a.webhooks
                .iter()
                .filter(|w| w["subscriptions"].as_array().is_some_and(|s| s.iter().any(|e| e == "message_created")))
                .map(|w| {
                    (
                        w["url"].as_str().unwrap_or_default().to_string(),
                        w["secret"].as_str().unwrap_or_default().to_string(),
                        bytes.clone(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        (message, deliveries)
    };
    // Chatwoot delivers from a background job, after answering: once, no retry.
    for (url, secret, bytes) in deliveries {
        server_runtime().spawn(deliver(url, secret, bytes));
    }
    answer(StatusCode::OK, message)
}

/// `message_created` as an account webhook carries it: the message at the top level,
/// `message_type` a string, and the conversation with its `contact_inbox`.
fn webhook_event(account_id: i64, account: &Account, conv: &Value, message: &Value) -> Value {
    let contact = account.contacts.iter().find(|c| c["id"] == conv["contact_id"]).cloned().unwrap_or(Value::Null);
    let inbox = inbox_of(account, &conv["inbox_id"]);
    let mut conversation = rest_conversation(account_id, account, conv);
    conversation["channel"] = conv["channel"].clone();
    conversation["contact_inbox"] = json!({"id": conv["id"], "contact_id": conv["contact_id"], "inbox_id": conv["inbox_id"],
        "source_id": conv["source_id"], "hmac_verified": false, "pubsub_token": "fake"});
    conversation["meta"]["sender"]["type"] = json!("contact");
    json!({"id": message["id"], "content": message["content"], "content_type": "text", "content_attributes": {},
        "additional_attributes": {}, "created_at": "2026-02-15T14:03:20.000Z", "message_type": "incoming",
        "private": false, "source_id": null, "sender": contact,
        "account": {"id": account_id, "name": account.name}, "inbox": {"id": inbox["id"], "name": inbox["name"]},
        "conversation": conversation, "event": "message_created"})
}

async fn deliver(url: String, secret: String, body: Vec<u8>) {
    let ts = now_secs().to_string();
    let signature = app::domain::chatwoot::signature::sign(&secret, &ts, &body);
    let sent = reqwest::Client::new()
        .post(&url)
        .timeout(Duration::from_secs(5))
        .header("content-type", "application/json")
        .header("x-chatwoot-delivery", app::domain::auth::random_token())
        .header("x-chatwoot-timestamp", ts)
        .header("x-chatwoot-signature", signature)
        .body(body)
        .send()
        .await;
    if let Err(e) = sent {
        eprintln!("fake Chatwoot: delivery to {url} failed: {e}");
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}
