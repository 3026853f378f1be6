//! The server a benchmark drives when it is given no `--url`: a real `freight serve --demo`
//! child process of the same binary, on a free loopback port with a fresh SQLite file (or the
//! `DATABASE_URL` it is given), stopped gracefully at the end.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context as _};

/// Starts `freight serve --demo` on a free loopback port; returns the child and its base URL.
pub async fn spawn_server() -> anyhow::Result<(tokio::process::Child, String)> {
    spawn_server_with(&[]).await
}

/// Like [`spawn_server`], with extra environment for the child (switches, endpoints).
pub async fn spawn_server_with(
    env: &[(&str, &str)],
) -> anyhow::Result<(tokio::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = std::env::temp_dir().join(format!("freight-bench-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}",
            PathBuf::from(&dir).join("bench.db").display()
        )
    });
    let exe = std::env::current_exe()?;
    // One dispatcher at thousands of requests per second would rightly be throttled; the
    // benchmark measures the API, so the general tier is raised (the check still runs).
    let child = tokio::process::Command::new(exe)
        .args(["serve", "--demo"])
        .env("FREIGHT_RATE_LIMIT_GENERAL", "10000000/900+0")
        .envs(env.iter().copied())
        .env("DATABASE_URL", &db_url)
        .env("FREIGHT_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("starting the server")?;
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{url}/api/health/ready")).send().await {
            if r.status().is_success() {
                return Ok((child, url));
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready within 30 s")
}

/// Stops a child server with SIGTERM (graceful), killing it after 10 s.
pub async fn stop_child(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = child.kill().await;
}
