//! Building and running the server: connect, migrate, bind, then serve until a shutdown
//! signal, letting in-flight requests finish.
//!
//! `build` and `run_until_stopped` are separate so tests can bind port 0 and learn the port
//! before serving (style anchor: zero2prod `Application`).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::auth::revoked::RevokedSessions;
use crate::auth::tokens::{random_token, TokenKeys};
use crate::config::Config;
use crate::db::{auth_sessions, idempotency, Db, DbOptions};
use crate::domain::time::now_ms;
use crate::http;
use crate::redis_link::RedisLink;
use crate::state::{AppState, Services};

/// A bound, ready-to-serve application.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies migrations and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let options = DbOptions {
            max_connections: config.db_max_connections,
            thread_nice: config.db_nice,
            ..DbOptions::default()
        };
        let db = Db::connect(&config.database_url, &options).await?;
        db.migrate().await?;
        Self::build_with_db(config, db).await
    }

    /// Like [`build`](Self::build) with an already connected and migrated database.
    pub async fn build_with_db(config: Config, db: Db) -> anyhow::Result<Application> {
        let secret = match &config.jwt_secret {
            Some(secret) if secret.len() >= 32 => secret.clone(),
            Some(_) => anyhow::bail!("FREIGHT_JWT_SECRET must be at least 32 characters"),
            None => {
                tracing::warn!(
                    "FREIGHT_JWT_SECRET is not set: using a random key (tokens end at restart)"
                );
                random_token(48)
            }
        };
        let tokens = TokenKeys::new(
            secret.as_bytes(),
            config.access_token_ttl(),
            config.refresh_token_ttl(),
        );
        // With REDIS_URL, cache generations and revoked sessions are shared between instances.
        let redis = match &config.rate_limits.redis_url {
            Some(url) => Some(Arc::new(RedisLink::new(
                url,
                &config.redis_key_prefix,
                Duration::from_millis(config.rate_limits.redis_timeout_ms.max(1)),
            )?)),
            None => None,
        };
        let revoked = RevokedSessions::new(redis.clone(), config.access_token_ttl());
        let window = now_ms() - config.access_token_ttl().as_millis() as i64;
        for id in auth_sessions::revoked_since(&db, window).await? {
            revoked.remember(&id);
        }
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let tracking =
            crate::tracking::Tracking::start(db.clone(), config.tracking.clone()).await?;
        let rate_limits =
            crate::ratelimit::RateLimits::start(db.clone(), config.rate_limits.clone())?;
        db.set_instrumented(config.metrics_enabled());
        let cache_ttl = Duration::from_secs(config.cache_ttl_secs);
        if let Some(link) = redis {
            db.generations().share_through(link, cache_ttl);
        }
        let cache = crate::cache::Cache::new(
            config.cache_max_mb * 1024 * 1024,
            cache_ttl,
            config.cache_enabled(),
            db.generations().clone(),
        );
        let state = AppState::new(Services {
            db,
            config: Arc::new(config),
            tokens: Arc::new(tokens),
            revoked: Arc::new(revoked),
            started_at: Instant::now(),
            observability: crate::observability::Observability::new(),
            cache,
            tracking,
            rate_limits,
        });
        Ok(Application { listener, state })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then waits for in-flight requests and closes the pools.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.run_until_stopped_with(axum::Router::new(), shutdown)
            .await
    }

    /// Like [`run_until_stopped`](Self::run_until_stopped) with `extra` routes mounted inside
    /// the application's middleware (test fixtures).
    pub async fn run_until_stopped_with(
        self,
        extra: axum::Router<AppState>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = self.state.clone();
        let housekeeping = tokio::spawn(housekeeping(state.clone()));
        let business_metrics = tokio::spawn(crate::observability::business::run(
            state.db.clone(),
            Duration::from_secs(state.config.business_metrics_secs),
        ));
        let app = http::app_with(state.clone(), extra);
        let tracking = crate::tracking::background::start(&state);
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(state.tracking.on_shutdown(shutdown))
        .await
        .context("serving HTTP")?;
        housekeeping.abort();
        business_metrics.abort();
        // Acknowledged fixes are already durable; this commits what is still queued.
        tracking.stop().await;
        state.rate_limits.stop().await;
        state.db.close().await;
        tracing::info!("server stopped");
        Ok(())
    }
}

/// Periodic clean-up: forgets expired idempotency keys.
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match idempotency::prune(&state.db, http::idempotency::RETENTION_MS).await {
            Ok(n) if n > 0 => tracing::info!(pruned = n, "expired idempotency keys removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning idempotency keys failed"),
        }
    }
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
