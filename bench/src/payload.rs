//! The deliveries: one Chatwoot payload template made into N distinct messages from P
//! people, each signed the way Chatwoot signs. Built before the timed phase.

use axum::body::Bytes;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// Subscriber numbers start here: `9 8xxx xxxx`, a mobile range in every Brazilian area.
const FIRST_SUBSCRIBER: u64 = 80_000_000;
/// People beyond this would run out of 8-digit subscriber numbers.
pub const MAX_PEOPLE: u64 = 99_999_999 - FIRST_SUBSCRIBER;

/// One request ready to send: the exact body bytes and Chatwoot's three headers.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub body: Bytes,
    pub delivery: String,
    pub timestamp: String,
    pub signature: String,
}

/// `sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`, Chatwoot's `X-Chatwoot-Signature`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The WhatsApp id (wa_id) of person `p`: São Paulo mobile `55 11 9 8xxx xxxx`, 13 digits.
pub fn whatsapp_id(person: u64) -> String {
    assert!(person < MAX_PEOPLE, "person {person} out of range");
    format!("55119{:08}", FIRST_SUBSCRIBER + person)
}

/// Makes request `i` of a run out of the template: message `first_id + i`, from person
/// `i % people`, each person with their own contact, conversation and phone.
pub struct Generator {
    template: Value,
    first_id: i64,
    people: u64,
}

impl Generator {
    pub fn new(template: Value, first_id: i64, people: u64) -> Result<Self, String> {
        if !template.is_object() {
            return Err("the payload template is not a JSON object".into());
        }
        if people == 0 || people >= MAX_PEOPLE {
            return Err(format!("--people must be between 1 and {}", MAX_PEOPLE - 1));
        }
        Ok(Generator { template, first_id, people })
    }

    pub fn person_of(&self, i: u64) -> u64 {
        i % self.people
    }

    pub fn message_id(&self, i: u64) -> i64 {
        self.first_id + i as i64
    }

    /// The JSON of request `i`. Only fields present in the template are replaced, so
    /// other Chatwoot payloads can serve as templates too.
    pub fn body(&self, i: u64) -> Vec<u8> {
        let person = self.person_of(i);
        let message = json!(self.message_id(i));
        let conversation = json!(3_000_000 + person);
        let contact = json!(1_000_000 + person);
        let wa = whatsapp_id(person);
        let phone = json!(format!("+{wa}"));
        let wa = json!(wa);
        let mut v = self.template.clone();
        let mut set = |pointer: &str, value: &Value| {
            if let Some(slot) = v.pointer_mut(pointer) {
                *slot = value.clone();
            }
        };
        set("/id", &message);
        set("/conversation/id", &conversation);
        set("/conversation/contact_inbox/source_id", &wa);
        set("/conversation/contact_inbox/contact_id", &contact);
        set("/conversation/meta/sender/id", &contact);
        set("/conversation/meta/sender/phone_number", &phone);
        set("/conversation/messages/0/id", &message);
        set("/conversation/messages/0/conversation_id", &conversation);
        set("/conversation/messages/0/conversation/contact_inbox/source_id", &wa);
        set("/conversation/messages/0/sender_id", &contact);
        set("/conversation/messages/0/sender/id", &contact);
        set("/conversation/messages/0/sender/phone_number", &phone);
        set("/sender/id", &contact);
        set("/sender/phone_number", &phone);
        serde_json::to_vec(&v).expect("a JSON value serializes")
    }

    /// Requests `0..n`, signed at `timestamp` (Unix seconds) with `secret`. `tag` makes
    /// the delivery ids unique across runs.
    pub fn prepare(&self, n: u64, secret: &str, timestamp: u64, tag: &str) -> Vec<Prepared> {
        let timestamp = timestamp.to_string();
        (0..n)
            .map(|i| {
                let body = self.body(i);
                let signature = sign(secret, &timestamp, &body);
                Prepared {
                    body: Bytes::from(body),
                    delivery: format!("ponte-load-{tag}-{i}"),
                    timestamp: timestamp.clone(),
                    signature,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    // Compiled in (and tracked by cargo), not read from a path fixed at build time: a test
    // binary built in another checkout of the repo stays correct.
    const FIXTURE: &[u8] = include_bytes!("../../server/tests/fixtures/chatwoot/whatsapp_message_created.json");

    fn template() -> Value {
        serde_json::from_slice(FIXTURE).unwrap()
    }

    #[test]
    fn signs_like_chatwoot() {
        let body = FIXTURE.to_vec();
        assert_eq!(
            sign("whsec_coronel_test_secret", "1771164203", &body),
            "sha256=ff0ac1da98bdd560b761243f973ed6bb5c9238db49bd89c3e39aae744edcb4c0"
        );
    }

    #[test]
    fn every_message_is_distinct_and_people_repeat() {
        let people = 37;
        let g = Generator::new(template(), 10_000_000, people).unwrap();
        let n = 500;
        let mut ids = HashSet::new();
        let mut senders = HashSet::new();
        for i in 0..n {
            let v: Value = serde_json::from_slice(&g.body(i)).unwrap();
            assert!(ids.insert(v["id"].as_i64().unwrap()), "message id repeated at {i}");
            assert_eq!(v["conversation"]["messages"][0]["id"], v["id"]);
            let wa = v["conversation"]["contact_inbox"]["source_id"].as_str().unwrap().to_string();
            assert_eq!(v["sender"]["phone_number"].as_str().unwrap(), format!("+{wa}"));
            assert_eq!(v["conversation"]["id"].as_i64().unwrap(), 3_000_000 + (i % people) as i64);
            assert_eq!(v["event"], "message_created");
            senders.insert(wa);
        }
        assert_eq!(ids.len() as u64, n);
        assert_eq!(*ids.iter().min().unwrap(), 10_000_000);
        assert_eq!(senders.len() as u64, people);
    }

    #[test]
    fn whatsapp_ids_are_valid_brazilian_mobiles() {
        for p in [0, 1, 999, 123_456, MAX_PEOPLE - 1] {
            let wa = whatsapp_id(p);
            assert_eq!(wa.len(), 13, "{wa}");
            assert!(wa.bytes().all(|b| b.is_ascii_digit()), "{wa}");
            assert!(wa.starts_with("55119"), "{wa}");
            let parsed = phonenumber::parse(None, format!("+{wa}")).unwrap();
            assert!(phonenumber::is_valid(&parsed), "{wa}");
            assert_eq!(parsed.number_type(&phonenumber::metadata::DATABASE), phonenumber::Type::Mobile, "{wa}");
        }
        assert_ne!(whatsapp_id(0), whatsapp_id(1));
    }

    #[test]
    fn prepared_requests_carry_a_valid_signature_of_their_own_bytes() {
        let g = Generator::new(template(), 1, 10).unwrap();
        let reqs = g.prepare(3, "segredo-de-teste", 1_771_164_203, "t");
        assert_eq!(reqs.len(), 3);
        for r in &reqs {
            assert_eq!(r.timestamp, "1771164203");
            assert_eq!(r.signature, sign("segredo-de-teste", &r.timestamp, &r.body));
        }
        assert_ne!(reqs[0].delivery, reqs[1].delivery);
        assert_ne!(reqs[0].body, reqs[1].body);
    }

    #[test]
    fn refuses_bad_templates_and_people() {
        assert!(Generator::new(json!([1]), 1, 10).is_err());
        assert!(Generator::new(template(), 1, 0).is_err());
        assert!(Generator::new(template(), 1, MAX_PEOPLE).is_err());
    }
}
