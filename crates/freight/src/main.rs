//! The `freight` binary: one executable, many subcommands (serve, migrate, seed, user,
//! bench). All logic lives in the library; this file only parses arguments and dispatches.

use std::io::Write as _;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use freight::config::{Config, DEFAULT_DATABASE_URL};
use freight::db::{organizations, users, Db, DbOptions};
use freight::domain::Role;
use freight::seed::{self, DEMO_LOGINS, DEMO_PASSWORD};
use freight::startup::{shutdown_signal, Application};
use freight::{auth, bench, telemetry};

// The service allocates many short-lived buffers from many threads (request bodies, rows
// crossing from SQLite's worker threads); mimalloc's per-thread heaps serve that pattern
// without the lock and consolidation cost glibc's allocator showed in profiles.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "freight",
    version,
    about = "Infamous Freight: freight operations platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Parsed once at start-up; boxing the large `Serve` config would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run the HTTP API (and background workers).
    Serve {
        /// Seed the demo organization on first start and print the demo logins.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        config: Config,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Load demo data.
    Seed {
        /// The demo organization (currently the only seed set).
        #[arg(long)]
        demo: bool,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Rate limits: `freight ratelimit report [--json]` reads the recorded traffic.
    Ratelimit {
        #[command(subcommand)]
        command: freight::ratelimit::cli::RatelimitCommand,
    },
    /// Replay real vehicle traces against a running server (WebSocket and OsmAnd).
    Simulate(freight::tracking::simulate::SimulateArgs),
    /// Solve a routing instance (Solomon, TSPLIB or JSON) and print the plan as JSON.
    Solve(freight::planning::cli::SolveArgs),
    /// Performance analysis: writes performance-analysis-<date>.json (slow statements, N+1,
    /// cache, rate limits, cost per call, ranked bottlenecks).
    Analyze(freight::analyze::cli::AnalyzeArgs),
    /// Writes performance-baseline.json from live metrics.
    Baseline(freight::analyze::cli::AnalyzeArgs),
    /// Print the OpenAPI 3.1 document (the web dashboard's API types are generated from it).
    Openapi,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user (the password is read from FREIGHT_USER_PASSWORD or --password).
    Create {
        /// Organization slug; created if it does not exist.
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long, env = "FREIGHT_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        customer_id: Option<i64>,
        #[arg(long)]
        driver_id: Option<i64>,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Mixed API workload over loopback: throughput and latency percentiles.
    Load(bench::load::LoadArgs),
    /// Throughput with metrics + tracing + rate limiting on, then off.
    Overhead(bench::overhead::OverheadArgs),
    /// The route optimizer over a folder of benchmark instances, against best-known solutions.
    Solve(freight::planning::cli::BenchSolveArgs),
    /// GPS ingest: HTTP batch and WebSocket fixes/s, live fan-out lag, memory per device.
    Ingest(freight::tracking::bench::IngestArgs),
    /// Track queries over a week of GPS history for 1,000 vehicles on PostgreSQL.
    History(freight::tracking::bench_history::HistoryArgs),
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

async fn open(database_url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(database_url, &DbOptions::default()).await?;
    db.migrate().await?;
    Ok(db)
}

/// `serve --demo` multiplies every rate-limit tier by this (printed at start-up).
const DEMO_RATE_LIMIT_FACTOR: u64 = 100;

fn print_demo_logins(port: u16) {
    println!("\nInfamous Freight demo is running on http://localhost:{port}");
    println!("Demo logins (password for all: {DEMO_PASSWORD}):");
    for (role, email) in DEMO_LOGINS {
        println!("  {:<11} {email}", role.as_str());
    }
    println!("  (also driver2..driver50@infamousfreight.demo and customer2..customer20@infamousfreight.demo)");
    println!(
        "Dashboard: http://localhost:{port}/  (demo mode: rate limits x{DEMO_RATE_LIMIT_FACTOR})\n"
    );
}

fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let command = Cli::parse().command;
    // The load benchmarks share the two cores with the server they measure: one thread
    // drives every connection, without work stealing or cross-thread wake-ups.
    let load_generator = matches!(
        &command,
        Command::Bench {
            command: BenchCommand::Load(_) | BenchCommand::Overhead(_)
        }
    );
    let mut runtime = match load_generator {
        true => tokio::runtime::Builder::new_current_thread(),
        false => tokio::runtime::Builder::new_multi_thread(),
    };
    runtime.enable_all();
    // Only the server lowers its request workers (see `freight::runtime`); other commands,
    // the load benchmark among them, must not hand a lowered priority to processes they start.
    if let Command::Serve { config, .. } = &command {
        let nice = config.worker_nice;
        runtime.on_thread_start(move || {
            freight::runtime::set_current_thread_nice(nice, "request workers")
        });
    }
    runtime.build()?.block_on(async {
        let telemetry = telemetry::init();
        let result = run(command).await;
        telemetry.shutdown();
        result
    })
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo, mut config } => {
            if demo {
                // One person trying every role from one address would otherwise meet the
                // production limits (5 logins per 15 minutes) within minutes.
                config.rate_limits = config.rate_limits.scaled(DEMO_RATE_LIMIT_FACTOR);
            }
            let app = Application::build(config).await?;
            if demo {
                if seed::seed_demo(&app.state().db).await? {
                    tracing::info!("demo data seeded");
                }
                print_demo_logins(app.port());
                // Keep the demo fleet moving along real traces.
                freight::tracking::demo::spawn(app.state().clone());
            }
            tracing::info!(port = app.port(), "listening");
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate { database_url } => {
            open(&database_url).await?;
            println!("migrations applied to {database_url}");
            Ok(())
        }
        Command::Seed { demo, database_url } => {
            anyhow::ensure!(demo, "only `freight seed --demo` exists so far");
            let db = open(&database_url).await?;
            let seeded = seed::seed_demo(&db).await?;
            println!(
                "{}",
                if seeded {
                    "demo data seeded"
                } else {
                    "demo data already present"
                }
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    org,
                    email,
                    name,
                    role,
                    password,
                    customer_id,
                    driver_id,
                    database_url,
                },
        } => {
            anyhow::ensure!(
                password.chars().count() >= 10,
                "the password must be at least 10 characters"
            );
            let db = open(&database_url).await?;
            let org_id = match organizations::find_by_slug(&db, &org).await? {
                Some(o) => o.id,
                None => organizations::create(&db, &org, &org).await?,
            };
            let hash = auth::password::hash_async(password).await?;
            let new = users::NewUser {
                org_id,
                email: &email,
                name: &name,
                password_hash: &hash,
                role,
                customer_id,
                driver_id,
            };
            let user = users::create(&db, &new)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("creating user")?;
            println!(
                "created user {} ({}) in organization {org}",
                user.email, user.role
            );
            Ok(())
        }
        Command::Bench {
            command: BenchCommand::Load(args),
        } => bench::load::run(args).await.map(|_| ()),
        Command::Bench {
            command: BenchCommand::Overhead(args),
        } => bench::overhead::run(args).await,
        Command::Bench {
            command: BenchCommand::Solve(args),
        } => tokio::task::spawn_blocking(move || freight::planning::cli::bench(&args)).await?,
        Command::Solve(args) => {
            tokio::task::spawn_blocking(move || freight::planning::cli::solve(&args)).await?
        }
        Command::Bench {
            command: BenchCommand::Ingest(args),
        } => freight::tracking::bench::run(args).await,
        Command::Bench {
            command: BenchCommand::History(args),
        } => freight::tracking::bench_history::run(args).await,
        Command::Openapi => {
            let doc = freight::http::openapi_document();
            let json = serde_json::to_string_pretty(&doc)?;
            // An error (e.g. a closed pipe) is reported, not a panic.
            writeln!(std::io::stdout().lock(), "{json}")?;
            Ok(())
        }
        Command::Simulate(args) => freight::tracking::simulate::run(args).await,
        Command::Ratelimit { command } => freight::ratelimit::cli::run(command).await,
        Command::Analyze(args) => {
            freight::analyze::cli::run(args, freight::analyze::cli::Document::Analysis)
                .await
                .map(|_| ())
        }
        Command::Baseline(args) => {
            freight::analyze::cli::run(args, freight::analyze::cli::Document::Baseline)
                .await
                .map(|_| ())
        }
    }
}
