//! `freight ratelimit …`: the command-line side of rate limits (the traffic report).

use super::config::RateLimitConfig;
use super::report;
use crate::config::DEFAULT_DATABASE_URL;
use crate::db::{Db, DbOptions};

/// `freight ratelimit <command>`.
#[derive(Debug, clap::Subcommand)]
pub enum RatelimitCommand {
    /// Per-endpoint demand, throttled callers and suggested limits from recorded traffic.
    Report(ReportArgs),
}

/// Options of `freight ratelimit report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// How far back to read, in hours.
    #[arg(long, default_value_t = 24)]
    pub hours: u64,
    /// Suggested limit = p99 per-caller demand per window × this.
    #[arg(long, default_value_t = 1.5)]
    pub headroom: f64,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// The limits in force (same variables as `serve`), shown beside the suggestions.
    #[command(flatten)]
    pub limits: RateLimitConfig,
}

/// Runs a `freight ratelimit` command, printing to stdout.
pub async fn run(command: RatelimitCommand) -> anyhow::Result<()> {
    match command {
        RatelimitCommand::Report(args) => {
            anyhow::ensure!(
                args.headroom.is_finite() && args.headroom > 0.0,
                "--headroom must be a positive number"
            );
            let db = Db::connect(&args.database_url, &DbOptions::default()).await?;
            db.migrate().await?;
            let hours = i64::try_from(args.hours).unwrap_or(i64::MAX / 3_600_000);
            let since = crate::domain::time::now_ms() - hours.saturating_mul(3_600_000);
            let rows = crate::db::rate_limits::traffic_since(&db, since).await?;
            let built = report::build(&rows, since, &args.limits, args.headroom);
            if args.json {
                println!("{}", serde_json::to_string_pretty(&built)?);
            } else {
                print!("{}", report::render_text(&built));
            }
            db.close().await;
            Ok(())
        }
    }
}
