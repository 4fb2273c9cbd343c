//! Admin API keys (hashed).

use super::{on_db, Db};
use crate::model::ApiKeyId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn insert(db: &Db, name: &str, prefix: &str, key_hash: &str, now: i64) -> Result<ApiKeyId, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO admin_api_keys (name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(prefix)
        .bind(key_hash)
        .bind(now)
        .fetch_one(pool)
        .await
    })
}

/// Finds an unrevoked key by hash and stamps its last use in the same statement.
pub async fn touch_active(db: &Db, key_hash: &str, now: i64) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ApiKeyRow>(
            "UPDATE admin_api_keys SET last_used_at = $2 WHERE key_hash = $1 AND revoked_at IS NULL \
             RETURNING id, name, prefix, created_at, last_used_at, revoked_at",
        )
        .bind(key_hash)
        .bind(now)
        .fetch_optional(pool)
        .await
    })
}

pub async fn revoke(db: &Db, id: ApiKeyId, now: i64) -> Result<bool, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query("UPDATE admin_api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

pub async fn list(db: &Db) -> Result<Vec<ApiKeyRow>, sqlx::Error> {
    on_db!(db, |pool| {
        sqlx::query_as::<_, ApiKeyRow>(
            "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM admin_api_keys ORDER BY id",
        )
        .fetch_all(pool)
        .await
    })
}
