//! Parsed values: construct them by parsing so a bad value cannot travel. Each parser
//! returns the `ErrorCode` the portal and the APIs show for that input.

use super::error::ErrorCode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Limits shared by forms, APIs and storage.
pub const SLUG_MIN: usize = 2;
pub const SLUG_MAX: usize = 63;
pub const NAME_MAX: usize = 120;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 256;
pub const STAGES_MAX: usize = 30;
pub const KEY_MAX: usize = 63;
/// Notes and reasons operators write (several lines allowed).
pub const NOTE_MAX: usize = 2000;

/// Lowercase ASCII letters, digits and single inner hyphens: safe in any URL.
fn is_kebab(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// An organization slug: the org's name in URLs (webhooks, portal). Lowercase ASCII
/// letters, digits and single hyphens; no spaces or accents, so it is safe in any URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, ErrorCode> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ErrorCode::Required);
        }
        if s.chars().count() > SLUG_MAX {
            return Err(ErrorCode::TooLong);
        }
        if s.len() < SLUG_MIN {
            return Err(ErrorCode::TooShort);
        }
        if !is_kebab(s) {
            return Err(ErrorCode::SlugInvalid);
        }
        Ok(Slug(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = ErrorCode;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Slug::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A machine key for boards and stages (`novo-contato`), derived from a label when not
/// given: accents folded, lowercase, non-alphanumerics collapsed to `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key(String);

impl Key {
    pub fn parse(raw: &str) -> Result<Self, ErrorCode> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ErrorCode::Required);
        }
        if s.len() > KEY_MAX {
            return Err(ErrorCode::TooLong);
        }
        // Same alphabet as slugs, but one character is enough ("a", "b" stages exist).
        if is_kebab(s) {
            Ok(Key(s.to_string()))
        } else {
            Err(ErrorCode::KeyInvalid)
        }
    }

    /// Derives a key from a human label ("Em atendimento" → `em-atendimento`).
    pub fn from_label(label: &str) -> Result<Self, ErrorCode> {
        let folded = deunicode::deunicode(label).to_ascii_lowercase();
        let mut out = String::with_capacity(folded.len());
        for c in folded.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        while out.ends_with('-') {
            out.pop();
        }
        out.truncate(KEY_MAX);
        while out.ends_with('-') {
            out.pop();
        }
        if out.is_empty() {
            return Err(ErrorCode::KeyInvalid);
        }
        Ok(Key(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A required, trimmed, bounded human text (names, labels).
pub fn parse_text(raw: &str, max: usize) -> Result<String, ErrorCode> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ErrorCode::Required);
    }
    if s.chars().count() > max {
        return Err(ErrorCode::TooLong);
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(ErrorCode::TextInvalid);
    }
    Ok(s.to_string())
}

/// An optional note or reason of several lines: `None` when blank, bounded, no control
/// characters other than line breaks and tabs.
pub fn parse_note(raw: Option<&str>) -> Result<Option<String>, ErrorCode> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if s.chars().count() > NOTE_MAX {
        return Err(ErrorCode::TooLong);
    }
    if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ErrorCode::TextInvalid);
    }
    Ok(Some(s.to_string()))
}

/// An e-mail address, lowercased. Deliberately simple: one `@`, a dot in the domain, no
/// spaces; the real check is that the person can log in with it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ErrorCode> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(ErrorCode::Required);
        }
        if s.len() > EMAIL_MAX {
            return Err(ErrorCode::TooLong);
        }
        let mut parts = s.split('@');
        let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
            (Some(l), Some(d), None) => (l, d),
            _ => return Err(ErrorCode::EmailInvalid),
        };
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(ErrorCode::EmailInvalid);
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password's length; strength beyond that is the person's business.
pub fn check_new_password(raw: &str) -> Result<(), ErrorCode> {
    let n = raw.chars().count();
    if n == 0 {
        return Err(ErrorCode::Required);
    }
    if n < PASSWORD_MIN {
        return Err(ErrorCode::PasswordTooShort);
    }
    if n > PASSWORD_MAX {
        return Err(ErrorCode::TooLong);
    }
    Ok(())
}

/// Parses a stage list typed one label per line (the portal's textarea).
pub fn parse_stage_lines(raw: &str) -> Result<Vec<String>, ErrorCode> {
    let labels = split_stage_lines(raw);
    check_stage_labels(&labels)?;
    Ok(labels)
}

/// Splits the textarea into trimmed, non-empty lines (validation comes later, with the
/// other fields of the form).
pub fn split_stage_lines(raw: &str) -> Vec<String> {
    raw.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// A board needs at least one stage, each a valid label with a distinct derived key.
pub fn check_stage_labels(labels: &[String]) -> Result<(), ErrorCode> {
    if labels.is_empty() {
        return Err(ErrorCode::StagesEmpty);
    }
    if labels.len() > STAGES_MAX {
        return Err(ErrorCode::StagesTooMany);
    }
    let mut keys = Vec::with_capacity(labels.len());
    for label in labels {
        parse_text(label, NAME_MAX).map_err(|_| ErrorCode::StageLabelInvalid)?;
        let key = Key::from_label(label).map_err(|_| ErrorCode::StageLabelInvalid)?;
        if keys.contains(&key) {
            return Err(ErrorCode::StagesDuplicate);
        }
        keys.push(key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_accepts_lowercase_digits_and_hyphens() {
        assert_eq!(Slug::parse(" coronel-picanha ").unwrap().as_str(), "coronel-picanha");
        assert_eq!(Slug::parse("loja42").unwrap().as_str(), "loja42");
    }

    #[test]
    fn slug_rejects_spaces_accents_uppercase_and_edges() {
        for bad in ["coronel picanha", "açaí", "Coronel", "-x", "x-", "a--b", "a_b", "a/b"] {
            assert_eq!(Slug::parse(bad), Err(ErrorCode::SlugInvalid), "{bad}");
        }
        assert_eq!(Slug::parse("   "), Err(ErrorCode::Required));
        assert_eq!(Slug::parse("a"), Err(ErrorCode::TooShort));
        assert_eq!(Slug::parse(&"a".repeat(64)), Err(ErrorCode::TooLong));
    }

    #[test]
    fn key_from_label_folds_accents() {
        assert_eq!(Key::from_label("Em atendimento").unwrap().as_str(), "em-atendimento");
        assert_eq!(Key::from_label("Negociação!").unwrap().as_str(), "negociacao");
        assert_eq!(Key::from_label("  Proposta  enviada ").unwrap().as_str(), "proposta-enviada");
        assert_eq!(Key::from_label("A").unwrap().as_str(), "a");
        assert!(Key::from_label("!!").is_err());
        assert_eq!(Key::parse("x"), Ok(Key("x".into())));
        assert_eq!(Key::parse("Pos Venda"), Err(ErrorCode::KeyInvalid));
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(parse_text("  Coronel  ", 10).unwrap(), "Coronel");
        assert_eq!(parse_text("", 10), Err(ErrorCode::Required));
        assert_eq!(parse_text("abcdefghijk", 10), Err(ErrorCode::TooLong));
        assert_eq!(parse_text("a\u{0}b", 10), Err(ErrorCode::TextInvalid));
        // Length counts characters, not bytes: ten accented letters fit in ten.
        assert!(parse_text("ãããããããããã", 10).is_ok());
    }

    #[test]
    fn email_is_lowercased_and_checked() {
        assert_eq!(Email::parse(" Ana@Exemplo.com.br ").unwrap().as_str(), "ana@exemplo.com.br");
        for bad in ["ana", "ana@", "@x.com", "ana@x", "a b@x.com", "a@b@c.com", "ana@.com"] {
            assert_eq!(Email::parse(bad), Err(ErrorCode::EmailInvalid), "{bad}");
        }
    }

    #[test]
    fn stage_lines_need_distinct_keys() {
        assert_eq!(
            parse_stage_lines("Novo contato\n\n Proposta \n").unwrap(),
            vec!["Novo contato".to_string(), "Proposta".to_string()]
        );
        assert_eq!(parse_stage_lines(" \n "), Err(ErrorCode::StagesEmpty));
        assert_eq!(parse_stage_lines("Proposta\nproposta"), Err(ErrorCode::StagesDuplicate));
        assert_eq!(parse_stage_lines("??"), Err(ErrorCode::StageLabelInvalid));
    }
}
