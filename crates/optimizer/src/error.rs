//! Error types: input problems are reported as data (a list of coded issues), not panics.

use serde::{Deserialize, Serialize};

/// One input problem with a stable code (`E1xxx`), its cause and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputIssue {
    pub code: String,
    /// Where in the input (e.g. `jobs[3].time_windows[0]` or `line 12`).
    pub path: String,
    pub cause: String,
    pub action: String,
}

impl InputIssue {
    pub fn new(
        code: &str,
        path: impl Into<String>,
        cause: impl Into<String>,
        action: impl Into<String>,
    ) -> Self {
        InputIssue {
            code: code.to_string(),
            path: path.into(),
            cause: cause.into(),
            action: action.into(),
        }
    }
}

impl std::fmt::Display for InputIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at {}: {} ({})",
            self.code, self.path, self.cause, self.action
        )
    }
}

fn join(issues: &[InputIssue]) -> String {
    issues
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Everything that can go wrong in the engine's public API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The problem or file content is invalid; all issues found are listed.
    #[error("invalid input: {}", join(.0))]
    Invalid(Vec<InputIssue>),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    /// The issues, when this is a validation error.
    pub fn issues(&self) -> &[InputIssue] {
        match self {
            Error::Invalid(issues) => issues,
            _ => &[],
        }
    }
}
