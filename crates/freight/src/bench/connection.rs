//! One simulated user's keep-alive HTTP/1.1 connection, on hyper's client connection API.
//!
//! The load generator runs on the same two cores as the server it measures, so every
//! microsecond it spends per request is taken from the server. A general-purpose client
//! (connection pool, URL parsing, redirect handling per request) cost about 60 µs of CPU a
//! request here; one connection per simulated user, with its headers built once, costs a
//! fraction of that. A broken connection is reopened on the next request.

use anyhow::Context as _;
use axum::body::Bytes;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;

/// A connection to one server, authenticated with one bearer token.
pub(super) struct Connection {
    /// `host:port`, for connecting and for the `Host` header.
    authority: String,
    host: HeaderValue,
    authorization: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    /// A connection to `base_url` (`http://host:port`), opened on first use.
    pub(super) fn new(base_url: &str, token: &str) -> anyhow::Result<Connection> {
        let uri: axum::http::Uri = base_url.parse().context("parsing the server URL")?;
        anyhow::ensure!(
            uri.scheme_str() == Some("http"),
            "the load benchmark speaks plain HTTP only: {base_url}"
        );
        let authority = uri
            .authority()
            .context("the server URL has no host")?
            .to_string();
        Ok(Connection {
            host: HeaderValue::from_str(&authority)?,
            authorization: HeaderValue::from_str(&format!("Bearer {token}"))?,
            authority,
            sender: None,
        })
    }

    /// Sends one request (`path` with its query; `body` as JSON) and reads the whole answer.
    pub(super) async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        if_match: Option<HeaderValue>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.host.clone())
            .header(header::AUTHORIZATION, self.authorization.clone());
        if body.is_some() {
            request = request.header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        if let Some(tag) = if_match {
            request = request.header(header::IF_MATCH, tag);
        }
        let request = request.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let outcome = self.exchange(request).await;
        if outcome.is_err() {
            self.sender = None;
        }
        outcome
    }

    async fn exchange(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let sender = match &mut self.sender {
            Some(sender) => sender,
            None => self.sender.insert(self.open().await?),
        };
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    async fn open(&self) -> anyhow::Result<SendRequest<Full<Bytes>>> {
        let stream = tokio::net::TcpStream::connect(&self.authority).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the server closes the connection or the sender is dropped.
            let _ = connection.await;
        });
        Ok(sender)
    }
}
