//! Portal sessions and the one-time setup links. Only token hashes are stored.

use super::users::UserRow;
use super::{on_db, Db};
use crate::model::UserId;

pub async fn insert(db: &Db, token_hash: &str, user_id: UserId, now: i64, expires_at: i64) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, \
            $3, $4, $3)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ())
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    pub expires_at: i64,
    #[sqlx(flatten)]
    pub user: UserRow,
}

/// The session's user, if the token hash is known (expired or not: the caller decides,
/// so it can tell "expired" from "missing").
pub async fn user_of(db: &Db, token_hash: &str) -> Result<Option<SessionUser>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, SessionUser>(
            "SELECT s.expires_at, u.id, u.email, u.name, u.password_hash, u.role, u.disabled, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await
    })
}

pub async fn delete(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|_| ())
    })
}

pub async fn delete_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })
}

pub async fn insert_setup_token(db: &Db, token_hash: &str, now: i64, expires_at: i64) -> Result<(), sqlx::Error> {
    on_db!(db, |pool| {
        // A new link replaces unused older ones: only the last printed link works.
        sqlx::query("DELETE FROM setup_tokens WHERE used_at IS NULL").execute(pool).await?;
        sqlx::query("INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Marks a setup token used; true only for the one caller that consumed a valid token.
pub async fn consume_setup_token(db: &Db, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query(
            "UPDATE setup_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

pub async fn setup_token_valid(db: &Db, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_one(pool)
        .await
        .map(|n| n == 1)
    })
}
