//! Portal users.

use super::{on_db, Db};
use crate::model::{Role, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
}

const COLUMNS: &str = "id, email, name, password_hash, role, disabled, created_at";

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await)
}

pub async fn insert(
    db: &Db,
    email: &str,
    name: &str,
    password_hash: &str,
    role: Role,
    now: i64,
) -> Result<UserRow, sqlx::Error> {
    let sql = format!(
        "INSERT INTO users (email, name, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING \
            {COLUMNS}"
    );
    on_db!(db, |pool| {
        sqlx::query_as::<_, UserRow>(&sql)
            .bind(email)
            .bind(name)
            .bind(password_hash)
            .bind(role)
            .bind(now)
            .fetch_one(pool)
            .await
    })
}

pub async fn by_email(db: &Db, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    on_db!(db, |pool| sqlx::query_as::<_, UserRow>(&sql).bind(email).fetch_optional(pool).await)
}

pub async fn list(db: &Db) -> Result<Vec<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY email");
    on_db!(db, |pool| sqlx::query_as::<_, UserRow>(&sql).fetch_all(pool).await)
}
