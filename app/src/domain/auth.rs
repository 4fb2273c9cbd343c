//! Who may do what: portal users (argon2 passwords, sessions), the one-time setup link
//! for the first admin, and the hashed admin API keys.

use super::error::{DomainError, Fields};
use super::store::{self, users::UserRow};
use super::{Actor, Services};
use crate::model::*;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Name of the portal's session cookie.
pub const SESSION_COOKIE: &str = "ponte_session";
const API_KEY_PREFIX: &str = "ponte_ak_";

/// A fresh 256-bit secret, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Tokens are high-entropy, so a plain SHA-256 is enough to store them safely.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// SHA-256 of arbitrary bytes, hex (body hashes for webhook dedupe).
pub fn token_hash_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub async fn hash_password(password: String) -> Result<String, DomainError> {
    // Argon2 is deliberately slow: keep it off the async workers.
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))?
    .map_err(|e| DomainError::Internal(e.to_string()))
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

fn to_current(row: &UserRow) -> Result<CurrentUser, DomainError> {
    Ok(CurrentUser { id: row.id, email: row.email.clone(), name: row.name.clone(), role: row.role })
}

fn to_dto(row: &UserRow) -> Result<UserDto, DomainError> {
    let cur = to_current(row)?;
    Ok(UserDto { id: cur.id, email: cur.email, name: cur.name, role: cur.role, created_at: row.created_at })
}

/// A new session for `user`; returns the token for the cookie.
async fn open_session(svc: &Services, user_id: UserId) -> Result<String, DomainError> {
    let token = random_token();
    let now = svc.now();
    store::sessions::insert(&svc.db, &token_hash(&token), user_id, now, now + svc.config.session_ttl_ms).await?;
    Ok(token)
}

/// Checks e-mail and password; on success opens a session. Unknown e-mail and wrong
/// password give the same answer (and take about as long), so accounts cannot be probed.
pub async fn login(svc: &Services, email: &str, password: &str) -> Result<(String, CurrentUser), DomainError> {
    let mut f = Fields::default();
    let email = f.check("email", Email::parse(email));
    if password.is_empty() {
        f.check::<()>("password", Err(ErrorCode::Required));
    }
    f.finish()?;
    let Some(email) = email else { return Err(DomainError::Rejected(ErrorCode::InvalidCredentials)) };
    let user = store::users::by_email(&svc.db, email.as_str()).await?;
    let (hash, user) = match user {
        Some(u) if !u.disabled => (u.password_hash.clone(), Some(u)),
        _ => (DUMMY_HASH.to_string(), None),
    };
    let ok = verify_password(password.to_string(), hash).await;
    match user {
        Some(user) if ok => {
            let token = open_session(svc, user.id).await?;
            let current = to_current(&user)?;
            store::audit::record(
                &svc.db,
                &Actor::user(&user.email).0,
                "login",
                None,
                &serde_json::json!({}),
                svc.now(),
            )
            .await?;
            Ok((token, current))
        }
        _ => Err(DomainError::Rejected(ErrorCode::InvalidCredentials)),
    }
}

/// A valid argon2 hash of a random string, verified against when the e-mail is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2q6oGxZx1E9bC7R2yq8Lr8m5m3Vf2bK8l0m2Hc4r7nY";

/// The user behind a session token: `SessionMissing` for no or unknown token,
/// `SessionExpired` for a known one past its time.
pub async fn session_user(svc: &Services, token: Option<&str>) -> Result<CurrentUser, DomainError> {
    let token = token.filter(|t| !t.is_empty()).ok_or(DomainError::Rejected(ErrorCode::SessionMissing))?;
    let hash = token_hash(token);
    let found =
        store::sessions::user_of(&svc.db, &hash).await?.ok_or(DomainError::Rejected(ErrorCode::SessionMissing))?;
    if found.expires_at <= svc.now() {
        store::sessions::delete(&svc.db, &hash).await?;
        return Err(DomainError::Rejected(ErrorCode::SessionExpired));
    }
    if found.user.disabled {
        return Err(DomainError::Rejected(ErrorCode::SessionMissing));
    }
    to_current(&found.user)
}

/// The session's user if their role allows `needed`.
pub async fn require(svc: &Services, token: Option<&str>, needed: Role) -> Result<CurrentUser, DomainError> {
    let user = session_user(svc, token).await?;
    if user.role.allows(needed) {
        Ok(user)
    } else {
        Err(DomainError::Rejected(ErrorCode::Forbidden))
    }
}

pub async fn logout(svc: &Services, token: Option<&str>) -> Result<(), DomainError> {
    if let Some(token) = token {
        store::sessions::delete(&svc.db, &token_hash(token)).await?;
    }
    Ok(())
}

/// Removes sessions past their time (a periodic chore of the server).
pub async fn sweep_expired_sessions(svc: &Services) -> Result<u64, DomainError> {
    Ok(store::sessions::delete_expired(&svc.db, svc.now()).await?)
}

/// Creates a portal user (CLI, setup link, admin API).
pub async fn create_user(
    svc: &Services,
    actor: &Actor,
    email: &str,
    name: &str,
    password: &str,
    role: Role,
) -> Result<UserDto, DomainError> {
    let mut f = Fields::default();
    let email = f.check("email", Email::parse(email));
    let name = f.check("name", parse_text(name, NAME_MAX));
    f.check("password", check_new_password(password));
    f.finish()?;
    let (Some(email), Some(name)) = (email, name) else { return Err(DomainError::Internal("unreachable".into())) };
    let hash = hash_password(password.to_string()).await?;
    let row = match store::users::insert(&svc.db, email.as_str(), &name, &hash, role, svc.now()).await {
        Ok(row) => row,
        Err(e) if store::is_unique_violation(&e) => {
            return Err(DomainError::Conflict(FieldError::new("email", ErrorCode::EmailTaken)))
        }
        Err(e) => return Err(e.into()),
    };
    store::audit::record(
        &svc.db,
        &actor.0,
        "user.create",
        None,
        &serde_json::json!({"email": row.email, "role": row.role}),
        svc.now(),
    )
    .await?;
    to_dto(&row)
}

pub async fn list_users(svc: &Services) -> Result<Vec<UserDto>, DomainError> {
    store::users::list(&svc.db).await?.iter().map(to_dto).collect()
}

/// The portal users as (e-mail, name), for choosing a person (the go-live's technical owner).
pub async fn user_choices(svc: &Services) -> Result<Vec<(String, String)>, DomainError> {
    Ok(store::users::list(&svc.db).await?.into_iter().map(|u| (u.email, u.name)).collect())
}

/// On a start with no users, makes a one-time setup link token (the caller prints it).
pub async fn ensure_setup_token(svc: &Services) -> Result<Option<String>, DomainError> {
    if store::users::count(&svc.db).await? > 0 {
        return Ok(None);
    }
    let token = random_token();
    let now = svc.now();
    store::sessions::insert_setup_token(&svc.db, &token_hash(&token), now, now + svc.config.setup_link_ttl_ms).await?;
    Ok(Some(token))
}

pub async fn setup_token_valid(svc: &Services, token: &str) -> Result<bool, DomainError> {
    if store::users::count(&svc.db).await? > 0 {
        return Ok(false);
    }
    Ok(store::sessions::setup_token_valid(&svc.db, &token_hash(token), svc.now()).await?)
}

/// Creates the first admin through the setup link and logs them in.
pub async fn complete_setup(
    svc: &Services,
    token: &str,
    email: &str,
    name: &str,
    password: &str,
) -> Result<(String, CurrentUser), DomainError> {
    if store::users::count(&svc.db).await? > 0 {
        return Err(DomainError::Rejected(ErrorCode::SetupDone));
    }
    // Validate before consuming the token, so a typo does not burn the link.
    let mut f = Fields::default();
    f.check("email", Email::parse(email));
    f.check("name", parse_text(name, NAME_MAX));
    f.check("password", check_new_password(password));
    f.finish()?;
    if !store::sessions::consume_setup_token(&svc.db, &token_hash(token), svc.now()).await? {
        return Err(DomainError::Rejected(ErrorCode::SetupTokenInvalid));
    }
    let user = create_user(svc, &Actor("setup_link".into()), email, name, password, Role::Admin).await?;
    let token = open_session(svc, user.id).await?;
    Ok((token, CurrentUser { id: user.id, email: user.email, name: user.name, role: user.role }))
}

/// A created admin API key: the plaintext is shown once and never stored.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub key: String,
}

pub async fn create_api_key(svc: &Services, actor: &Actor, name: &str) -> Result<NewApiKey, DomainError> {
    let name = parse_text(name, NAME_MAX).map_err(|c| DomainError::field("name", c))?;
    let key = format!("{API_KEY_PREFIX}{}", random_token());
    let prefix: String = key.chars().take(API_KEY_PREFIX.len() + 6).collect();
    let id = store::api_keys::insert(&svc.db, &name, &prefix, &token_hash(&key), svc.now()).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "api_key.create",
        None,
        &serde_json::json!({"id": id, "name": name, "prefix": prefix}),
        svc.now(),
    )
    .await?;
    Ok(NewApiKey { id, name, key })
}

pub async fn revoke_api_key(svc: &Services, actor: &Actor, id: ApiKeyId) -> Result<(), DomainError> {
    if !store::api_keys::revoke(&svc.db, id, svc.now()).await? {
        return Err(DomainError::Rejected(ErrorCode::NotFound));
    }
    store::audit::record(&svc.db, &actor.0, "api_key.revoke", None, &serde_json::json!({"id": id.0}), svc.now())
        .await?;
    Ok(())
}

pub async fn list_api_keys(svc: &Services) -> Result<Vec<store::api_keys::ApiKeyRow>, DomainError> {
    Ok(store::api_keys::list(&svc.db).await?)
}

/// The audit actor behind an admin API key.
pub async fn authenticate_api_key(svc: &Services, key: Option<&str>) -> Result<Actor, DomainError> {
    let key = key.filter(|k| !k.is_empty()).ok_or(DomainError::Rejected(ErrorCode::ApiKeyMissing))?;
    if !key.starts_with(API_KEY_PREFIX) {
        return Err(DomainError::Rejected(ErrorCode::ApiKeyInvalid));
    }
    let row = store::api_keys::touch_active(&svc.db, &token_hash(key), svc.now())
        .await?
        .ok_or(DomainError::Rejected(ErrorCode::ApiKeyInvalid))?;
    Ok(Actor::api_key(&row.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_is_stable_and_hides_the_token() {
        let t = random_token();
        assert_eq!(t.len(), 64);
        assert_eq!(token_hash(&t), token_hash(&t));
        assert_ne!(token_hash(&t), t);
        assert_ne!(random_token(), t);
    }

    #[tokio::test]
    async fn password_hash_verifies_only_the_right_password() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), h.clone()).await);
        assert!(!verify_password("wrong horse battery".into(), h).await);
        // The dummy hash parses, so the unknown-user path costs a real verification.
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
