//! A write transaction over the write pool. Its statements go through [`Db::run`] like any
//! other, so they are counted, timed and traced; dropped without `commit` it rolls back.

use sqlx::any::{AnyQueryResult, AnyRow};
use sqlx::{Any, FromRow};

use super::{Backend, Db, Query, QueryAs};

/// A write transaction; dropped without `commit` it rolls back.
pub struct Tx {
    pub(super) tx: sqlx::Transaction<'static, Any>,
    pub(super) db: Db,
}

impl Tx {
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    pub async fn fetch_all<'q, O>(&mut self, q: QueryAs<'q, O>) -> sqlx::Result<Vec<O>>
    where
        O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = sqlx::Execute::sql(&q);
        self.db.run(sql, q.fetch_all(&mut *self.tx)).await
    }

    pub async fn fetch_optional<'q, O>(&mut self, q: QueryAs<'q, O>) -> sqlx::Result<Option<O>>
    where
        O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = sqlx::Execute::sql(&q);
        self.db.run(sql, q.fetch_optional(&mut *self.tx)).await
    }

    pub async fn fetch_one<'q, O>(&mut self, q: QueryAs<'q, O>) -> sqlx::Result<O>
    where
        O: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = sqlx::Execute::sql(&q);
        self.db.run(sql, q.fetch_one(&mut *self.tx)).await
    }

    pub async fn execute<'q>(&mut self, q: Query<'q>) -> sqlx::Result<AnyQueryResult> {
        let sql = sqlx::Execute::sql(&q);
        self.db.run(sql, q.execute(&mut *self.tx)).await
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        let db = self.db;
        db.run("COMMIT", self.tx.commit()).await
    }
}
