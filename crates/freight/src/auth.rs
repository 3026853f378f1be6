//! Who is calling and what they may do.
//!
//! Authentication (`authenticate`) turns a bearer access token or an API key into a
//! [`Principal`]. Authorization happens in exactly two places: the role × capability table in
//! [`policy`], checked by the [`Auth`] extractor before a handler runs, and the [`Scope`] that
//! every storage function takes, which filters rows to the caller's organization (and to
//! their own shipments for customers and drivers). A handler cannot reach the database
//! without a `Scope`, and cannot obtain one without passing the policy check.

pub mod api_key;
pub mod extract;
pub mod password;
pub mod policy;
pub mod revoked;
pub mod tokens;

pub use extract::{authenticate, Auth};
pub use policy::{Action, Capability};

use crate::domain::Role;

/// An authenticated caller: a user with a session, or an API key.
#[derive(Debug, Clone)]
pub struct Principal {
    pub org_id: i64,
    pub role: Role,
    pub user_id: Option<i64>,
    pub api_key_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub driver_id: Option<i64>,
    /// The login session for user tokens (revocable by logout).
    pub session_id: Option<String>,
}

impl Principal {
    /// The rows this caller may see.
    pub fn scope(&self) -> Scope {
        let visibility = match self.role {
            Role::Customer => Visibility::Customer(self.customer_id.unwrap_or(-1)),
            Role::Driver => Visibility::Driver(self.driver_id.unwrap_or(-1)),
            Role::Admin | Role::Dispatcher | Role::Analyst => Visibility::Organization,
        };
        Scope {
            org_id: self.org_id,
            visibility,
        }
    }

    /// A stable text naming the caller, recorded as the actor of events and as the owner
    /// of idempotency keys.
    pub fn actor(&self) -> String {
        match (self.user_id, self.api_key_id) {
            (Some(id), _) => format!("user:{id}"),
            (None, Some(id)) => format!("api_key:{id}"),
            (None, None) => "system".to_string(),
        }
    }
}

/// The tenant and row visibility that every storage query applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub org_id: i64,
    pub visibility: Visibility,
}

/// Which rows of the organization the caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Staff roles see the whole organization.
    Organization,
    /// A shipper sees only its own shipments and its own customer record.
    Customer(i64),
    /// A driver sees only shipments assigned to them and their own record.
    Driver(i64),
}

impl Scope {
    /// Scope for internal jobs and the CLI acting on one organization.
    pub fn system(org_id: i64) -> Scope {
        Scope {
            org_id,
            visibility: Visibility::Organization,
        }
    }
}
