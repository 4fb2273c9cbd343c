//! WhatsApp ids → one canonical key. Chatwoot sends the wa_id as digits without `+`,
//! sometimes without the Brazilian mobile ninth digit (`551187654321` for
//! `5511987654321`); operators type numbers in every national format. The key is the
//! E.164 digits (no `+`) with the ninth digit restored, so both spellings are one person.
//! Ids that are not phone numbers (business-scoped `BR.1092…` of username-only users,
//! UUIDs of API bridges) are kept as given: they are opaque, not guessed at.

use phonenumber::country::Id as Country;
use phonenumber::Mode;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WhatsappId {
    /// E.164 digits without `+`, Brazilian mobiles with their ninth digit.
    Phone(String),
    /// Not a phone number: kept verbatim.
    Opaque(String),
}

impl WhatsappId {
    pub fn key(&self) -> &str {
        match self {
            WhatsappId::Phone(s) | WhatsappId::Opaque(s) => s,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneError {
    Empty,
    /// Looks like a phone number but no country's numbering plan accepts it.
    Invalid,
}

/// A phone number typed or sent anywhere (default region Brazil) → canonical digits.
pub fn normalize_phone(raw: &str) -> Result<String, PhoneError> {
    let s = raw.trim().trim_start_matches("whatsapp:").trim();
    if s.is_empty() {
        return Err(PhoneError::Empty);
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() || s.chars().any(|c| c.is_alphabetic()) {
        return Err(PhoneError::Invalid);
    }
    // Digits only and long enough to carry a country code: a wa_id ("5511987654321").
    let international =
        s.starts_with('+') || s.starts_with("00") || (!s.contains(['(', ' ', '-']) && digits.len() >= 12);
    let candidate = if s.starts_with("00") {
        format!("+{}", &digits[2..])
    } else if international {
        format!("+{digits}")
    } else {
        digits.clone()
    };
    let parsed = phonenumber::parse(Some(Country::BR), &candidate).map_err(|_| PhoneError::Invalid)?;
    let e164 = parsed.format().mode(Mode::E164).to_string();
    let digits = e164.trim_start_matches('+');
    let out = if parsed.code().value() == 55 { with_ninth_digit(digits) } else { digits.to_string() };
    // Validity is checked on the number as stored: re-parsed only when the ninth digit was
    // restored (parsing is the backfill's main cost, a million times over).
    let valid = if out == digits {
        phonenumber::is_valid(&parsed)
    } else {
        phonenumber::parse(None, format!("+{out}")).is_ok_and(|n| phonenumber::is_valid(&n))
    };
    if !valid {
        return Err(PhoneError::Invalid);
    }
    Ok(out)
}

/// The same Brazilian mobile without its ninth digit (`55 DD 9 NNNNNNNN` → `55 DD NNNNNNNN`),
/// the spelling older imports stored: worth matching, never written.
pub fn without_ninth_digit(key: &str) -> Option<String> {
    (key.len() == 13 && key.starts_with("55") && &key[4..5] == "9").then(|| format!("{}{}", &key[..4], &key[5..]))
}

/// `55 DD NNNNNNNN` with a mobile first digit (6–9) gains its ninth digit; landlines
/// (2–5) and numbers that already have eleven national digits are left alone.
fn with_ninth_digit(e164_digits: &str) -> String {
    let national = &e164_digits[2..];
    if national.len() == 10 && matches!(national.as_bytes()[2], b'6'..=b'9') {
        format!("55{}9{}", &national[..2], &national[2..])
    } else {
        e164_digits.to_string()
    }
}

/// Chatwoot's `contact_inbox.source_id` for a WhatsApp inbox → the identity key.
pub fn whatsapp_id(source_id: &str) -> Result<WhatsappId, PhoneError> {
    let s = source_id.trim();
    if s.is_empty() {
        return Err(PhoneError::Empty);
    }
    let phone_like = s.trim_start_matches("whatsapp:").chars().all(|c| c.is_ascii_digit() || "+ -()".contains(c));
    if phone_like {
        normalize_phone(s).map(WhatsappId::Phone)
    } else {
        Ok(WhatsappId::Opaque(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wa_id_with_and_without_the_ninth_digit_is_one_person() {
        assert_eq!(without_ninth_digit("5511987654321"), Some("551187654321".into()));
        assert_eq!(without_ninth_digit("551134567890"), None, "landlines have no ninth digit");
        assert_eq!(normalize_phone("5511987654321"), Ok("5511987654321".into()));
        assert_eq!(normalize_phone("551187654321"), Ok("5511987654321".into()));
        assert_eq!(whatsapp_id("551187654321"), Ok(WhatsappId::Phone("5511987654321".into())));
    }

    #[test]
    fn typed_formats_reach_the_same_key() {
        for raw in [
            "+55 11 98765-4321",
            "(11) 98765-4321",
            "11987654321",
            "+5511987654321",
            "whatsapp:+5511987654321",
            "0055 11 98765 4321",
            "(11) 8765-4321",
        ] {
            assert_eq!(normalize_phone(raw), Ok("5511987654321".into()), "{raw}");
        }
    }

    #[test]
    fn landlines_and_foreign_numbers_keep_their_digits() {
        assert_eq!(normalize_phone("(11) 3456-7890"), Ok("551134567890".into()), "landline: no ninth digit");
        assert_eq!(normalize_phone("+351 912 345 678"), Ok("351912345678".into()));
        assert_eq!(normalize_phone("+1 415 555 2671"), Ok("14155552671".into()));
    }

    #[test]
    fn invalid_and_empty_numbers_are_refused_not_guessed() {
        assert_eq!(normalize_phone(""), Err(PhoneError::Empty));
        assert_eq!(normalize_phone("   "), Err(PhoneError::Empty));
        for raw in ["12", "abc", "(00) 0000-0000", "+55 11 1234", "0800"] {
            assert_eq!(normalize_phone(raw), Err(PhoneError::Invalid), "{raw}");
        }
    }

    #[test]
    fn non_phone_ids_stay_opaque() {
        assert_eq!(whatsapp_id("BR.10927465538810274653"), Ok(WhatsappId::Opaque("BR.10927465538810274653".into())));
        assert_eq!(
            whatsapp_id("5c1f6e2a-8d7b-4c1e-9f00-0a1b2c3d4e5f").unwrap().key(),
            "5c1f6e2a-8d7b-4c1e-9f00-0a1b2c3d4e5f"
        );
        assert_eq!(whatsapp_id(""), Err(PhoneError::Empty));
    }
}
