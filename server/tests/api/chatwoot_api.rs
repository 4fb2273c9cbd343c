//! The Chatwoot REST client against the faithful fake: every call, every kind of error,
//! idempotent webhook registration, and the fake's webhook reaching a running Ponte.

use crate::common::chatwoot::{list, setup_org};
use crate::common::fake_chatwoot::*;
use crate::common::*;
use app::domain::chatwoot::api::{Chatwoot, ChatwootError, SUBSCRIPTIONS};
use app::model::NoteCode;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// The fake's account as an org configures it (a trailing slash, as people paste URLs).
fn client<'a>(http: &'a reqwest::Client, fake: &FakeChatwoot, token: &str) -> Chatwoot<'a> {
    Chatwoot::new(http, &format!("{}/", fake.base), ACCOUNT, token)
}

async fn an_administrators_token_reads_profile_inboxes_contacts_and_conversations(_: Engine) {
    let fake = FakeChatwoot::start().await;
    let http = reqwest::Client::new();
    let cw = client(&http, &fake, ADMIN_TOKEN);

    let profile = cw.profile().await.expect("profile");
    assert!(profile.administers(ACCOUNT));
    assert!(!profile.administers(ACCOUNT + 1));

    let inboxes = cw.inboxes().await.expect("inboxes");
    let channels: Vec<&str> = inboxes.iter().filter_map(|i| i.channel_type.as_deref()).collect();
    for channel in ["Channel::Whatsapp", "Channel::Instagram", "Channel::Api", "Channel::WebWidget"] {
        assert!(channels.contains(&channel), "{channel} in {channels:?}");
    }
    let whatsapp = inboxes.iter().find(|i| i.id == 12).unwrap();
    assert_eq!(whatsapp.phone_number.as_deref(), Some("+5511940000000"));

    let found = cw.search_contacts("+55 11 98765").await.expect("search");
    assert!(found.is_empty(), "a phone with spaces is not how Chatwoot stores it");
    let found = cw.search_contacts("+5511987654321").await.expect("search");
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![501]);
    assert!(
        cw.search_contacts("bitter").await.expect("search").is_empty(),
        "Instagram-only contacts are not searchable"
    );
    assert_eq!(cw.contact(503).await.expect("contact by id").name.as_deref(), Some("bitter-glitter-645"));

    let conv = cw.conversation(WHATSAPP_CONVERSATION).await.expect("conversation");
    assert_eq!((conv.inbox_id, conv.status.as_deref()), (Some(12), Some("open")));
    let messages = cw.messages(WHATSAPP_CONVERSATION).await.expect("messages");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].message_type, Some(0));
    assert!(messages[0].source_id.as_deref().is_some_and(|s| s.starts_with("wamid.")));
    assert_eq!(cw.conversation(999).await, Err(ChatwootError::NotFound));
}

async fn wrong_tokens_agents_and_missing_accounts_are_told_apart(_: Engine) {
    let fake = FakeChatwoot::start().await;
    let http = reqwest::Client::new();

    let wrong = client(&http, &fake, "not-a-token");
    assert_eq!(wrong.profile().await, Err(ChatwootError::BadToken));
    assert_eq!(wrong.inboxes().await.unwrap_err().note().code, NoteCode::ChatwootBadToken);

    let agent = client(&http, &fake, AGENT_TOKEN);
    let profile = agent.profile().await.expect("an agent has a profile");
    assert!(!profile.administers(ACCOUNT));
    assert_eq!(agent.inboxes().await.map(|i| i.len()), Ok(7), "agents may read");
    assert_eq!(agent.webhooks().await, Err(ChatwootError::NotAdministrator));
    let refused = agent.create_webhook("https://ponte.exemplo.com.br/webhooks/chatwoot/coronel", &SUBSCRIPTIONS).await;
    assert_eq!(refused, Err(ChatwootError::NotAdministrator));
    assert_eq!(refused.unwrap_err().note().code, NoteCode::ChatwootNotAdministrator);
    assert!(fake.webhooks().is_empty());

    let elsewhere = Chatwoot::new(&http, &fake.base, 404, ADMIN_TOKEN);
    assert_eq!(elsewhere.inboxes().await, Err(ChatwootError::NotFound));
    assert_eq!(elsewhere.webhooks().await.unwrap_err().note().code, NoteCode::ChatwootNotFound);
}

async fn webhooks_are_created_listed_updated_and_found_again_by_url(_: Engine) {
    let fake = FakeChatwoot::start().await;
    let http = reqwest::Client::new();
    let cw = client(&http, &fake, ADMIN_TOKEN);
    let url = "https://ponte.exemplo.com.br/webhooks/chatwoot/coronel";

    let created = cw.create_webhook(url, &["message_created"]).await.expect("create");
    assert!(created.secret.as_deref().is_some_and(|s| s.starts_with("whsec_")));
    let listed = cw.webhooks().await.expect("list");
    assert_eq!(listed, vec![created.clone()]);

    let again = cw.create_webhook(url, &["message_created"]).await;
    assert!(matches!(again, Err(ChatwootError::Unprocessable(ref said)) if said.contains("taken")), "{again:?}");

    // Registering finds the one there and widens its subscriptions instead of adding another.
    let ensured = cw.ensure_webhook(url, &SUBSCRIPTIONS).await.expect("ensure");
    assert_eq!((ensured.id, &ensured.secret), (created.id, &created.secret));
    assert_eq!(ensured.subscriptions.len(), SUBSCRIPTIONS.len());
    assert_eq!(cw.ensure_webhook(url, &SUBSCRIPTIONS).await.expect("ensure twice"), ensured);
    assert_eq!(cw.webhooks().await.expect("list").len(), 1);

    let moved =
        cw.update_webhook(created.id, "https://ponte2.exemplo.com.br/webhooks/chatwoot/coronel", &SUBSCRIPTIONS);
    assert_eq!(moved.await.expect("update").secret, created.secret);
    assert_eq!(cw.update_webhook(999, url, &SUBSCRIPTIONS).await, Err(ChatwootError::NotFound));
}

async fn invalid_webhooks_are_a_422_whose_words_stay_in_the_log(_: Engine) {
    let fake = FakeChatwoot::start().await;
    let http = reqwest::Client::new();
    let cw = client(&http, &fake, ADMIN_TOKEN);
    let bad = cw.create_webhook("ponte sem esquema", &SUBSCRIPTIONS).await.unwrap_err();
    assert_eq!(bad, ChatwootError::Unprocessable("Url is invalid".into()));
    let note = bad.note();
    assert_eq!(note.code, NoteCode::ChatwootUnprocessable);
    assert!(!serde_json::to_string(&note).unwrap().contains("Url is invalid"));
    let empty = cw.create_webhook("https://ponte.exemplo.com.br/w", &[]).await;
    assert!(matches!(empty, Err(ChatwootError::Unprocessable(_))), "{empty:?}");
    let unknown = cw.create_webhook("https://ponte.exemplo.com.br/w", &["message_deleted"]).await;
    assert!(matches!(unknown, Err(ChatwootError::Unprocessable(_))), "{unknown:?}");
    assert!(fake.webhooks().is_empty());
}

async fn a_port_with_nothing_listening_is_unreachable(_: Engine) {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let http = reqwest::Client::new();
    let cw = Chatwoot::new(&http, &format!("http://127.0.0.1:{port}"), ACCOUNT, ADMIN_TOKEN);
    let err = cw.profile().await.unwrap_err();
    assert!(matches!(err, ChatwootError::Unreachable(_)), "{err:?}");
    assert_eq!(err.note().code, NoteCode::ChatwootUnreachable);
    assert!(!format!("{err:?}").contains(ADMIN_TOKEN));

    let mut fake = FakeChatwoot::start().await;
    let base = fake.base.clone();
    fake.stop();
    until("the stopped fake to refuse connections", || {
        let http = reqwest::Client::new();
        let base = base.clone();
        async move {
            let cw = Chatwoot::new(&http, &base, ACCOUNT, ADMIN_TOKEN);
            matches!(cw.profile().await, Err(ChatwootError::Unreachable(_)))
        }
    })
    .await;
}

async fn a_slow_chatwoot_is_a_timeout(_: Engine) {
    let fake = FakeChatwoot::start().await;
    fake.set_delay(Duration::from_secs(5));
    let http = reqwest::Client::new();
    let cw = Chatwoot::new(&http, &fake.base, ACCOUNT, ADMIN_TOKEN).with_timeout(Duration::from_millis(200));
    let err = cw.inboxes().await.unwrap_err();
    assert_eq!(err, ChatwootError::Timeout);
    assert_eq!(err.note().code, NoteCode::ChatwootTimeout);
}

async fn a_plain_http_chatwoot_behind_an_https_url_is_a_tls_failure(_: Engine) {
    let fake = FakeChatwoot::start().await;
    let http = reqwest::Client::new();
    let cw = Chatwoot::new(&http, &fake.base.replace("http://", "https://"), ACCOUNT, ADMIN_TOKEN);
    let err = cw.profile().await.unwrap_err();
    assert!(matches!(err, ChatwootError::Tls(_)), "{err:?}");
    assert_eq!(err.note().code, NoteCode::ChatwootTls);
}

async fn an_incoming_api_message_reaches_ponte_signed_with_the_webhooks_secret(engine: Engine) {
    let fake = FakeChatwoot::start().await;
    let app = TestApp::spawn(engine).await;
    let key = app.admin_key().await;
    // The org as the other webhook tests set it up; its Chatwoot config is replaced below
    // with the secret Chatwoot hands out.
    setup_org(&app, &key, "coronel").await;

    let cw = client(&app.services.http, &fake, ADMIN_TOKEN);
    let webhook = cw.ensure_webhook(&app.url("/webhooks/chatwoot/coronel"), &SUBSCRIPTIONS).await.expect("register");
    let secret = webhook.secret.expect("Chatwoot 4.11.2+ returns the secret");
    let res = http()
        .put(app.url("/api/v1/admin/orgs/coronel/chatwoot"))
        .bearer_auth(&key)
        .json(&json!({"webhook_secret": secret, "account_id": ACCOUNT, "base_url": fake.base,
            "api_token": ADMIN_TOKEN, "inboxes": {"12": "whatsapp", "13": "instagram", API_INBOX.to_string(): "whatsapp"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let message = cw.create_incoming_message(API_CONVERSATION, "Quero reservar uma mesa").await.expect("incoming");
    assert_eq!(message.message_type, Some(0));
    let stored: Value = eventually("Ponte to store the fake's message_created", || async {
        let events = list(&app, &key, "coronel", "events?payload=true").await;
        events.into_iter().find(|e| e["event"] == "message_created").ok_or("no event yet")
    })
    .await;
    assert_eq!(stored["payload"]["id"], message.id);
    assert_eq!(stored["payload"]["content"], "Quero reservar uma mesa");
    assert_eq!(stored["payload"]["conversation"]["id"], API_CONVERSATION);

    let refused = cw.create_incoming_message(WHATSAPP_CONVERSATION, "Oi").await;
    assert!(matches!(refused, Err(ChatwootError::Unprocessable(_))), "only API inboxes take incoming messages");
}

storage_free!(
    an_administrators_token_reads_profile_inboxes_contacts_and_conversations,
    wrong_tokens_agents_and_missing_accounts_are_told_apart,
    webhooks_are_created_listed_updated_and_found_again_by_url,
    invalid_webhooks_are_a_422_whose_words_stay_in_the_log,
    a_port_with_nothing_listening_is_unreachable,
    a_slow_chatwoot_is_a_timeout,
    a_plain_http_chatwoot_behind_an_https_url_is_a_tls_failure,
);
both_engines!(an_incoming_api_message_reaches_ponte_signed_with_the_webhooks_secret);
