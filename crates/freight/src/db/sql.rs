//! A small builder for statements whose WHERE clause depends on the request (filters,
//! cursors, tenant scope), numbering `$n` placeholders so both engines accept them.
//!
//! sqlx's own `QueryBuilder` emits `?` for the `Any` driver, which PostgreSQL rejects.

use super::{Query, QueryAs};
use sqlx::any::AnyRow;
use sqlx::FromRow;

/// One bound value.
#[derive(Debug, Clone)]
pub enum Param {
    Int(i64),
    Float(f64),
    Text(String),
    /// An integer or NULL (bound typed, so PostgreSQL reads an `int8` either way).
    OptInt(Option<i64>),
    /// A text or NULL.
    OptText(Option<String>),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Float(v)
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}
impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Param::OptInt(v)
    }
}
impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        Param::OptText(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_string())
    }
}

/// SQL text plus its parameters, in order.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    text: String,
    params: Vec<Param>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            params: Vec::new(),
        }
    }

    /// Appends raw SQL (never user input).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Param>) -> &mut Self {
        self.params.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.params.len().to_string());
        self
    }

    /// Appends `(p1, p2, …)` bound to `values`; an empty list becomes `(NULL)`, matching nothing.
    pub fn bind_list<T: Into<Param> + Clone>(&mut self, values: &[T]) -> &mut Self {
        self.text.push('(');
        if values.is_empty() {
            self.text.push_str("NULL");
        }
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v.clone());
        }
        self.text.push(')');
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// A typed query over this SQL with its parameters bound.
    pub fn query_as<O>(&self) -> QueryAs<'_, O>
    where
        O: for<'r> FromRow<'r, AnyRow>,
    {
        let mut q = sqlx::query_as::<_, O>(&self.text);
        for p in &self.params {
            q = match p {
                Param::Int(v) => q.bind(*v),
                Param::Float(v) => q.bind(*v),
                Param::Text(v) => q.bind(v.as_str()),
                Param::OptInt(v) => q.bind(*v),
                Param::OptText(v) => q.bind(v.as_deref()),
            };
        }
        q
    }

    /// An untyped statement over this SQL with its parameters bound.
    pub fn query(&self) -> Query<'_> {
        let mut q = sqlx::query(&self.text);
        for p in &self.params {
            q = match p {
                Param::Int(v) => q.bind(*v),
                Param::Float(v) => q.bind(*v),
                Param::Text(v) => q.bind(v.as_str()),
                Param::OptInt(v) => q.bind(*v),
                Param::OptText(v) => q.bind(v.as_deref()),
            };
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_in_order() {
        let mut sql = Sql::new("SELECT id FROM shipments WHERE org_id = ");
        sql.bind(7i64)
            .push(" AND status IN ")
            .bind_list(&["booked", "assigned"]);
        assert_eq!(
            sql.text(),
            "SELECT id FROM shipments WHERE org_id = $1 AND status IN ($2, $3)"
        );
    }

    #[test]
    fn an_empty_list_matches_nothing() {
        let mut sql = Sql::new("x IN ");
        sql.bind_list::<i64>(&[]);
        assert_eq!(sql.text(), "x IN (NULL)");
    }
}
