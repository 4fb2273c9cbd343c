//! Chatwoot's webhook signature (v4.11.2+): `X-Chatwoot-Signature: sha256=<hex>` where the
//! hex is HMAC-SHA256(key = the webhook secret, message = "{timestamp}.{raw body}"), with
//! `X-Chatwoot-Timestamp` in Unix seconds. Verified over the raw bytes as received (a
//! re-serialized body changes the MAC), in constant time, within a replay window.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Deliveries older or newer than this (seconds) are refused as possible replays.
pub const WINDOW_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// A header is absent.
    Missing,
    /// The timestamp is not a number or outside the window.
    Stale,
    /// The MAC does not match.
    Mismatch,
}

/// The signature Chatwoot would send for `body` at `timestamp` (also used by tests and
/// the load harness to sign realistic deliveries).
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let ts: i64 = timestamp.trim().parse().map_err(|_| SignatureError::Stale)?;
    if (now_secs - ts).abs() > WINDOW_SECS {
        return Err(SignatureError::Stale);
    }
    let hex_mac = signature.trim().strip_prefix("sha256=").ok_or(SignatureError::Mismatch)?;
    let given = hex::decode(hex_mac).map_err(|_| SignatureError::Mismatch)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    mac.update(timestamp.trim().as_bytes());
    mac.update(b".");
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_coronel_test_secret";
    const TS: &str = "1771164203";

    fn fixture() -> Vec<u8> {
        include_bytes!("../../../../server/tests/fixtures/chatwoot/whatsapp_message_created.json").to_vec()
    }

    #[test]
    fn matches_chatwoots_worked_examples() {
        let body = fixture();
        assert_eq!(body.len(), 3541);
        assert_eq!(sign(SECRET, TS, &body), "sha256=ff0ac1da98bdd560b761243f973ed6bb5c9238db49bd89c3e39aae744edcb4c0");
        let small = br#"{"event":"message_created","id":88001,"content":"Picanha \u0026 farofa"}"#;
        assert_eq!(small.len(), 72);
        assert_eq!(sign(SECRET, TS, small), "sha256=1f1fdb6e83e977574e6f80fd021d640d61d05ecd1d4becb71a596f9be2b63a89");
    }

    #[test]
    fn verifies_the_raw_bytes_with_the_timestamp_in_the_message() {
        let body = fixture();
        let now = 1771164203 + 10;
        let good = "sha256=ff0ac1da98bdd560b761243f973ed6bb5c9238db49bd89c3e39aae744edcb4c0";
        assert_eq!(verify(SECRET, Some(TS), Some(good), &body, now), Ok(()));
        // A MAC of the body alone (the classic mistake) is refused.
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(&body);
        let body_only = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(body_only.starts_with("sha256=7cd4b4dc3f3c0bb0"));
        assert_eq!(verify(SECRET, Some(TS), Some(&body_only), &body, now), Err(SignatureError::Mismatch));
        // Re-serialized JSON (`&` instead of `\u0026`) no longer matches.
        let reserialized = br#"{"event":"message_created","id":88001,"content":"Picanha & farofa"}"#;
        let sig = "sha256=1f1fdb6e83e977574e6f80fd021d640d61d05ecd1d4becb71a596f9be2b63a89";
        assert_eq!(verify(SECRET, Some(TS), Some(sig), reserialized, now), Err(SignatureError::Mismatch));
    }

    #[test]
    fn refuses_missing_stale_and_malformed_signatures() {
        let body = b"{}";
        let now = 1_800_000_000;
        let ts = now.to_string();
        let sig = sign(SECRET, &ts, body);
        assert_eq!(verify(SECRET, None, Some(&sig), body, now), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, Some(&ts), None, body, now), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, Some(&ts), Some(&sig), body, now + WINDOW_SECS + 1), Err(SignatureError::Stale));
        assert_eq!(verify(SECRET, Some(&ts), Some(&sig), body, now - WINDOW_SECS - 1), Err(SignatureError::Stale));
        assert_eq!(verify(SECRET, Some("ontem"), Some(&sig), body, now), Err(SignatureError::Stale));
        assert_eq!(verify(SECRET, Some(&ts), Some("sha256=zz"), body, now), Err(SignatureError::Mismatch));
        assert_eq!(
            verify(SECRET, Some(&ts), Some(sig.trim_start_matches("sha256=")), body, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify("outro-segredo", Some(&ts), Some(&sig), body, now), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, Some(&ts), Some(&sig), body, now), Ok(()));
    }
}
