//! The master secret and the encryption of stored credentials (Chatwoot and n8n tokens):
//! ChaCha20-Poly1305 with a random nonce per value. The key never reaches a log.

use super::error::DomainError;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use std::fmt;
use std::path::Path;

const FILE_NAME: &str = "master.key";
const PREFIX: &str = "v1:";

pub struct MasterKey {
    cipher: ChaCha20Poly1305,
}

/// Never print the key, even by accident in a `{:?}`.
impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(**redacted**)")
    }
}

/// Where the master key came from, for the start-up log (never the key itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Config,
    File,
    Generated,
}

impl MasterKey {
    /// From 64 hex characters (32 bytes).
    pub fn from_hex(hex_key: &str) -> Result<Self, DomainError> {
        let bytes = hex::decode(hex_key.trim())
            .map_err(|_| DomainError::Internal("master secret must be 64 hex characters".into()))?;
        if bytes.len() != 32 {
            return Err(DomainError::Internal("master secret must be 64 hex characters (32 bytes)".into()));
        }
        Ok(MasterKey { cipher: ChaCha20Poly1305::new(Key::from_slice(&bytes)) })
    }

    /// The configured secret if given; else the one in `data_dir/master.key`; else a new
    /// one generated there (owner-only permissions).
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<(Self, KeySource), DomainError> {
        if let Some(hex_key) = configured {
            return Ok((MasterKey::from_hex(hex_key)?, KeySource::Config));
        }
        let path = data_dir.join(FILE_NAME);
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| DomainError::Internal(format!("reading {}: {e}", path.display())))?;
            return Ok((MasterKey::from_hex(&text)?, KeySource::File));
        }
        std::fs::create_dir_all(data_dir)
            .map_err(|e| DomainError::Internal(format!("creating {}: {e}", data_dir.display())))?;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let hex_key = hex::encode(bytes);
        write_private(&path, &hex_key)
            .map_err(|e| DomainError::Internal(format!("writing {}: {e}", path.display())))?;
        Ok((MasterKey::from_hex(&hex_key)?, KeySource::Generated))
    }

    pub fn encrypt(&self, plaintext: &str) -> Result<String, DomainError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| DomainError::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("{PREFIX}{}", hex::encode(out)))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, DomainError> {
        let bad =
            || DomainError::Internal("stored secret cannot be decrypted (wrong master key or damaged value)".into());
        let raw = hex::decode(stored.strip_prefix(PREFIX).ok_or_else(bad)?).map_err(|_| bad())?;
        if raw.len() < 12 {
            return Err(bad());
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = self.cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| bad())?;
        String::from_utf8(pt).map_err(|_| bad())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(content.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_is_persisted_and_reused() {
        let dir = std::env::temp_dir().join(format!("ponte-key-{}", super::super::auth::random_token()));
        let (k1, s1) = MasterKey::load_or_create(None, &dir).unwrap();
        assert_eq!(s1, KeySource::Generated);
        let sealed = k1.encrypt("token-do-chatwoot").unwrap();
        assert!(!sealed.contains("token-do-chatwoot"));
        let (k2, s2) = MasterKey::load_or_create(None, &dir).unwrap();
        assert_eq!(s2, KeySource::File);
        assert_eq!(k2.decrypt(&sealed).unwrap(), "token-do-chatwoot");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(FILE_NAME)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "master.key must be private");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn tampered_or_foreign_values_do_not_decrypt() {
        let k = MasterKey::from_hex(&"11".repeat(32)).unwrap();
        let other = MasterKey::from_hex(&"22".repeat(32)).unwrap();
        let sealed = k.encrypt("segredo").unwrap();
        assert!(other.decrypt(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('0') { '1' } else { '0' });
        assert!(k.decrypt(&tampered).is_err());
        assert!(k.decrypt("not-sealed").is_err());
        assert!(MasterKey::from_hex("abc").is_err());
        assert_eq!(format!("{k:?}"), "MasterKey(**redacted**)");
    }
}
