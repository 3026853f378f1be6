//! `freight analyze` and `freight baseline`: fetch the report from a running server (or from a
//! server started for the purpose and exercised with the load benchmark) and write the file.

use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::{json, Value};

use crate::bench::load::{self, LoadArgs};
use crate::seed::DEMO_PASSWORD;

/// Options shared by both commands.
#[derive(Debug, Clone, clap::Args)]
pub struct AnalyzeArgs {
    /// A running server; when omitted one is started and driven with the load benchmark.
    #[arg(long)]
    pub url: Option<String>,
    /// An admin login of that server.
    #[arg(long, default_value = "admin@infamousfreight.demo")]
    pub email: String,
    #[arg(long, env = "FREIGHT_ANALYZE_PASSWORD", default_value = DEMO_PASSWORD, hide_default_value = true)]
    pub password: String,
    /// Seconds of load to generate first when starting a server.
    #[arg(long, default_value_t = 10)]
    pub load_secs: u64,
    /// Where to write the JSON file.
    #[arg(long, default_value = ".")]
    pub out_dir: PathBuf,
}

/// Which document to produce.
#[derive(Debug, Clone, Copy)]
pub enum Document {
    Analysis,
    Baseline,
}

/// Runs `freight analyze` or `freight baseline`; returns the path written.
pub async fn run(args: AnalyzeArgs, document: Document) -> anyhow::Result<PathBuf> {
    let mut child = None;
    let url = match &args.url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let (c, url) = load::spawn_server().await?;
            child = Some(c);
            let load_args = LoadArgs {
                url: Some(url.clone()),
                connections: 16,
                duration_secs: args.load_secs,
                warmup_secs: 1,
                write_percent: 20,
                rate: None,
                email: "dispatch@infamousfreight.demo".into(),
            };
            load::run(load_args).await?;
            url
        }
    };
    let result = fetch(&url, &args, document).await;
    if let Some(mut c) = child {
        load::stop_child(&mut c).await;
    }
    let body = result?;
    let name = match document {
        Document::Analysis => format!(
            "performance-analysis-{}.json",
            chrono::Utc::now().format("%Y-%m-%d")
        ),
        Document::Baseline => "performance-baseline.json".to_string(),
    };
    std::fs::create_dir_all(&args.out_dir)?;
    let path = args.out_dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&body)?)?;
    print_summary(&body, document);
    println!("wrote {}", path.display());
    Ok(path)
}

async fn fetch(url: &str, args: &AnalyzeArgs, document: Document) -> anyhow::Result<Value> {
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"email": args.email, "password": args.password}))
        .send()
        .await?
        .error_for_status()
        .context("admin login failed")?
        .json()
        .await?;
    let token = login["access_token"].as_str().context("no access token")?;
    let path = match document {
        Document::Analysis => "performance",
        Document::Baseline => "baseline",
    };
    Ok(client
        .get(format!("{url}/api/v1/admin/{path}"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

fn print_summary(body: &Value, document: Document) {
    match document {
        Document::Analysis => {
            println!(
                "cache hit rate {:.1} %",
                body["cache_hit_rate"].as_f64().unwrap_or(0.0) * 100.0
            );
            println!("top bottlenecks:");
            for b in body["bottlenecks"].as_array().into_iter().flatten().take(5) {
                println!(
                    "  {}. [{}] {} — {}",
                    b["rank"],
                    b["kind"].as_str().unwrap_or(""),
                    b["subject"].as_str().unwrap_or(""),
                    b["recommendation"].as_str().unwrap_or("")
                );
            }
        }
        Document::Baseline => {
            println!("{}", serde_json::to_string_pretty(body).unwrap_or_default())
        }
    }
}
