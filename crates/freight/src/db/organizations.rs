//! Organizations (tenants).

use sqlx::FromRow;

use super::{Db, NewId};
use crate::domain::time::now_ms;

#[derive(Debug, Clone, FromRow)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

pub async fn create(db: &Db, name: &str, slug: &str) -> sqlx::Result<i64> {
    let row: NewId = db
        .fetch_one_write(
            sqlx::query_as("INSERT INTO organizations (name, slug, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(name)
                .bind(slug)
                .bind(now_ms()),
        )
        .await?;
    Ok(row.id)
}

pub async fn find_by_slug(db: &Db, slug: &str) -> sqlx::Result<Option<Organization>> {
    db.fetch_optional(
        sqlx::query_as("SELECT id, name, slug FROM organizations WHERE slug = $1").bind(slug),
    )
    .await
}

pub async fn count(db: &Db) -> sqlx::Result<i64> {
    let row: super::Count = db
        .fetch_one(sqlx::query_as("SELECT COUNT(*) AS n FROM organizations"))
        .await?;
    Ok(row.n)
}
