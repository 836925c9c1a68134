//! The binary as a user runs it: configuration errors, `config check`, `migrate`, and
//! `serve` from an empty directory with no environment, stopped by SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_doxin");

/// A command with a clean environment (only PATH/HOME), run in `dir`.
fn doxin(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env_clear();
    for key in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(key) {
            cmd.env(key, v);
        }
    }
    cmd.envs(env.iter().copied());
    cmd
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    doxin(dir, args, env).output().expect("run doxin")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn bad_configuration_exits_2_naming_the_variable() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (var, value) in [
        ("PORT", "eighty"),
        ("DATABASE_URL", "mysql://db/x"),
        ("REDIS_URL", "http://cache"),
        ("WORKER_CONCURRENCY", "-1"),
        ("SESSION_COOKIE_SECURE", "perhaps"),
    ] {
        let out = run(dir.path(), &["config", "check"], &[(var, value)]);
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let err = text(&out.stderr);
        assert!(err.contains(var), "{var}: {err}");
    }
}

#[test]
fn a_bad_url_allow_list_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(
        dir.path(),
        &["serve"],
        &[("URL_FETCH_ALLOWLIST", "10.0.0.0/99"), ("PORT", "0")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("URL_FETCH_ALLOWLIST") && err.contains("10.0.0.0/99"),
        "{err}"
    );
    assert!(
        !dir.path().join("data/doxin.db").exists(),
        "nothing created"
    );
}

#[test]
fn production_refuses_default_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["serve"], &[("ENVIRONMENT", "production")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("SECRET_KEY"),
        "{}",
        text(&out.stderr)
    );
    let strong = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let out = run(
        dir.path(),
        &["config", "check"],
        &[
            ("ENVIRONMENT", "production"),
            ("SECRET_KEY", strong),
            ("JWT_SECRET_KEY", "change-me"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("JWT_SECRET_KEY"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn config_check_masks_secrets_and_reads_dotenv() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".env"),
        "APP_VERSION=from-dotenv\nOPENAI_API_KEY=sk-live-123\n",
    )
    .expect("write .env");
    let out = run(
        dir.path(),
        &["config", "check"],
        &[
            ("SECRET_KEY", "my-very-secret"),
            ("DATABASE_URL", "postgres://app:hunter2@db:5432/doxin"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for secret in ["my-very-secret", "hunter2", "sk-live-123"] {
        assert!(!stdout.contains(secret), "{secret} leaked:\n{stdout}");
    }
    assert!(stdout.contains("from-dotenv"), "{stdout}");
    assert!(stdout.contains("# .env"), "{stdout}");
    assert!(
        stdout.contains("postgres://app:********@db:5432/doxin"),
        "{stdout}"
    );
}

#[test]
fn migrate_creates_the_sqlite_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["migrate"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("migration(s) applied"));
    assert!(dir.path().join("data/doxin.db").exists());
    let again = run(dir.path(), &["migrate"], &[]);
    assert!(
        text(&again.stdout).contains("0 migration(s) applied"),
        "{}",
        text(&again.stdout)
    );
}

#[test]
fn migrate_without_pgvector_names_pgvector() {
    let Ok(url) = std::env::var("DOXIN_TEST_PG_NO_VECTOR_URL") else {
        eprintln!("skipping: DOXIN_TEST_PG_NO_VECTOR_URL is not set");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["migrate"], &[("DATABASE_URL", &url)]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("pgvector"), "{err}");
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Starts `doxin serve` and waits until its log says it is serving.
fn serve(dir: &Path, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let port_s = port.to_string();
    let mut all = vec![("PORT", port_s.as_str()), ("HOST", "127.0.0.1")];
    all.extend_from_slice(env);
    let mut child = doxin(dir, &["serve"], &all)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("doxin serving") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("server started");
    Server { child, port }
}

fn get_json(port: u16, path: &str) -> (u16, serde_json::Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let resp = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
            .await
            .expect("get");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("json"))
    })
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill -TERM failed");
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(started.elapsed() < limit, "did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_runs_on_the_embedded_default_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = serve(dir.path(), &[]);
    let (status, body) = get_json(server.port, "/api/health");
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["service"], "doxin");
    let (status, body) = get_json(server.port, "/api/v1/health/detailed");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["components"]["database"]["backend"], "sqlite");
    assert!(
        dir.path().join("data/doxin.db").exists(),
        "database under ./data"
    );
    assert!(
        dir.path().join("data/files").is_dir(),
        "file store under ./data"
    );

    sigterm(&server.child);
    let status = wait_exit(&mut server.child, Duration::from_secs(5));
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn serve_runs_on_postgres_and_reports_pgvector() {
    let Ok(admin) = std::env::var("DOXIN_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "DOXIN_TEST_DATABASE_URL must be set in CI"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let name = format!("doxin_cli_{}", std::process::id());
    let exec = |sql: String| {
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&admin).await.expect("admin");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .expect("sql");
        })
    };
    exec(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
    exec(format!("CREATE DATABASE \"{name}\""));
    let mut url = url::Url::parse(&admin).expect("url");
    url.set_path(&name);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = serve(dir.path(), &[("DATABASE_URL", url.as_str())]);
    let (status, body) = get_json(server.port, "/api/v1/health/detailed");
    assert_eq!(status, 200, "{body}");
    let db = &body["components"]["database"];
    assert_eq!(db["backend"], "postgres");
    assert!(
        db["pgvector_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("0.")),
        "{body}"
    );
    assert!(
        db["server_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("18")),
        "{body}"
    );
    sigterm(&server.child);
    assert!(wait_exit(&mut server.child, Duration::from_secs(5)).success());
    exec(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
}
