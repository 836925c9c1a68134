//! Real processes for the pipeline tests: `doxin serve` and `doxin worker` children with their
//! own environment, a PostgreSQL database per test, a Redis key prefix (or a Redis server) per
//! test, a local file server for URL intake, and a WebSocket client.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};
use uuid::Uuid;

pub const BIN: &str = env!("CARGO_BIN_EXE_doxin");

pub fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// A required service's URL, or `None` (skip) outside CI.
pub fn service(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            assert!(!ci(), "{var} must be set in CI (scripts/test.sh sets it)");
            eprintln!("skipping: {var} is not set");
            None
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running `doxin` child; killed on drop. Its log goes to `<dir>/<name>.log`.
pub struct Proc {
    pub name: String,
    pub child: Child,
    pub port: Option<u16>,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port.expect("an API process"))
    }

    pub fn kill9(&mut self) {
        let _ = Command::new("kill")
            .args(["-9", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    pub fn term(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }

    pub fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return s;
            }
            assert!(
                started.elapsed() < limit,
                "{} did not exit within {limit:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One deployment: shared environment for every process, and the data directory.
pub struct Deployment {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Deployment {
    pub fn new(env: &[(&str, &str)]) -> Deployment {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut all: Vec<(String, String)> = vec![
            (
                "DATA_DIR".into(),
                dir.path().join("data").display().to_string(),
            ),
            ("LOG_FORMAT".into(), "json".into()),
            (
                "RUST_LOG".into(),
                "info,doxin_jobs=debug,pdf_oxide=warn,lopdf=warn".into(),
            ),
            (
                "SECRET_KEY".into(),
                "pipeline-test-secret-key-0123456789abcdef".into(),
            ),
            ("HOST".into(), "127.0.0.1".into()),
        ];
        all.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Deployment { dir, env: all }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn spawn(&self, name: &str, args: &[&str], extra: &[(&str, &str)], ready: &str) -> Proc {
        let port = args
            .first()
            .is_some_and(|a| *a == "serve" || *a == "monitor")
            .then(free_port);
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(self.path()).env_clear();
        for key in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(p) = port {
            let var = if args.first() == Some(&"monitor") {
                "MONITOR_PORT"
            } else {
                "PORT"
            };
            cmd.env(var, p.to_string());
        }
        cmd.envs(extra.iter().copied());
        let mut child = cmd
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn doxin");
        let log = self.path().join(format!("{name}.log"));
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stderr.take().expect("stderr")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stdout.take().expect("stdout")),
        ] {
            let tx = tx.clone();
            let ready = ready.to_string();
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .expect("log file");
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = writeln!(file, "{line}");
                    if line.contains(&ready) {
                        let _ = tx.send(());
                    }
                }
            });
        }
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("{name} did not become ready; its log:\n{text}");
        }
        Proc {
            name: name.to_string(),
            child,
            port,
        }
    }

    pub fn api(&self, name: &str, with_worker: bool) -> Proc {
        let args: &[&str] = if with_worker {
            &["serve"]
        } else {
            &["serve", "--no-worker"]
        };
        self.spawn(name, args, &[], "doxin serving")
    }

    pub fn worker(&self, name: &str, concurrency: usize) -> Proc {
        self.worker_with_metrics(name, concurrency, 0)
    }

    /// A worker that serves its own metrics on `metrics_port` (`--metrics-port`; 0: none).
    pub fn worker_with_metrics(&self, name: &str, concurrency: usize, metrics_port: u16) -> Proc {
        let c = concurrency.to_string();
        let p = metrics_port.to_string();
        self.spawn(
            name,
            &["worker", "--concurrency", &c, "--metrics-port", &p],
            &[],
            "worker started",
        )
    }

    /// `doxin monitor` on a free port of its own.
    pub fn monitor(&self, name: &str) -> Proc {
        self.spawn(name, &["monitor"], &[], "doxin monitor serving")
    }

    /// An administrator (`doxin user create --admin`) and a personal API token for them.
    pub fn admin_token_for(&self, email: &str) -> String {
        self.token_for(email, true)
    }

    /// Creates the deployment's test user with `doxin user create` and returns an API token
    /// from `doxin user token`, as an operator would script it.
    pub fn user_token(&self) -> String {
        self.user_token_for("pipeline@example.com")
    }

    /// [`Deployment::user_token`] for another user.
    pub fn user_token_for(&self, email: &str) -> String {
        self.token_for(email, false)
    }

    /// Creates `email` (an administrator when `admin`) and returns a personal API token.
    fn token_for(&self, email: &str, admin: bool) -> String {
        let mut create = vec!["user", "create", "--email", email];
        if admin {
            create.push("--admin");
        }
        let out = self
            .command(&create)
            .env("DOXIN_USER_PASSWORD", "correct horse battery staple 42")
            .output()
            .expect("doxin user create");
        assert!(
            out.status.success(),
            "doxin user create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = self
            .command(&["user", "token", "--email", email])
            .output()
            .expect("doxin user token");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(token.starts_with("dxn_"), "{token}");
        token
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(self.path()).env_clear();
        for key in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `doxin <args>` to completion with the deployment's environment; returns the exit code.
    pub fn run(&self, args: &[&str]) -> i32 {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(self.path()).env_clear();
        for key in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run doxin")
            .code()
            .unwrap_or(-1)
    }

    /// Waits until every job is terminal; on time-out fails the test with every process's log.
    pub async fn wait_all(
        &self,
        client: &reqwest::Client,
        base: &str,
        ids: &[Uuid],
        limit: Duration,
    ) -> HashMap<Uuid, Value> {
        match wait_terminal(client, base, ids, limit).await {
            Ok(done) => done,
            Err(e) => panic!("{e}\n{}", self.logs()),
        }
    }

    /// Every log, for a failing test's message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        if let Ok(entries) = std::fs::read_dir(self.path()) {
            for e in entries.flatten() {
                if e.path().extension().is_some_and(|x| x == "log") {
                    let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                    let tail: Vec<&str> = text.lines().rev().take(40).collect();
                    out.push_str(&format!("==== {}\n", e.path().display()));
                    for l in tail.into_iter().rev() {
                        out.push_str(l);
                        out.push('\n');
                    }
                }
            }
        }
        out
    }
}

/// A fresh PostgreSQL database on the test server, dropped at the end.
pub struct PgDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl PgDatabase {
    pub async fn create(admin: &str) -> PgDatabase {
        let name = format!("doxin_pipeline_{}", Uuid::new_v4().simple());
        let mut c = PgConnection::connect(admin)
            .await
            .expect("admin connection");
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut c)
            .await
            .expect("create database");
        let mut url = url::Url::parse(admin).expect("admin url");
        url.set_path(&name);
        PgDatabase {
            url: url.to_string(),
            admin: admin.to_string(),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    if let Ok(mut c) = PgConnection::connect(&admin).await {
                        let _ = sqlx::query(AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        )))
                        .execute(&mut c)
                        .await;
                    }
                });
            }
        })
        .join();
    }
}

/// Counts over a PostgreSQL deployment's tables.
pub async fn pg_counts(url: &str) -> (HashMap<String, i64>, i64, i64) {
    let mut c = PgConnection::connect(url).await.expect("connect");
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM processing_jobs GROUP BY status")
        .fetch_all(&mut c)
        .await
        .expect("jobs");
    let by_status = rows
        .iter()
        .map(|r| (r.get::<String, _>("status"), r.get::<i64, _>("n")))
        .collect();
    let invoices: i64 = sqlx::query("SELECT COUNT(*) AS n FROM invoices")
        .fetch_one(&mut c)
        .await
        .expect("invoices")
        .get("n");
    let distinct_jobs: i64 = sqlx::query("SELECT COUNT(DISTINCT job_id) AS n FROM invoices")
        .fetch_one(&mut c)
        .await
        .expect("invoices")
        .get("n");
    (by_status, invoices, distinct_jobs)
}

/// Generated documents: born-digital PDFs from the synthetic generator, distinct per seed.
pub fn documents(first_seed: u64, n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n as u64)
        .map(|i| {
            let s = doxin_synth::generate(
                first_seed + i,
                &doxin_synth::Spec {
                    lines: 1..=4,
                    ..Default::default()
                },
            );
            (format!("invoice-{}.pdf", first_seed + i), s.pdf)
        })
        .collect()
}

/// A job as the upload answered it.
#[derive(Debug, Clone)]
pub struct Queued {
    pub job_id: Uuid,
    pub token: String,
}

pub fn queued_from(body: &Value) -> Vec<Queued> {
    body["jobs"]
        .as_array()
        .map(|jobs| {
            jobs.iter()
                .map(|j| Queued {
                    job_id: j["job_id"]
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .expect("job id"),
                    token: j["job_token"].as_str().expect("token").to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Multipart upload of several files in one request.
pub async fn upload(
    client: &reqwest::Client,
    base: &str,
    docs: &[(String, Vec<u8>)],
) -> Vec<Queued> {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in docs {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()),
        );
    }
    let resp = client
        .post(format!("{base}/api/v1/invoices/upload"))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, 202, "upload refused: {body}");
    let queued = queued_from(&body);
    assert_eq!(queued.len(), docs.len(), "{body}");
    queued
}

/// `process-batch` with URLs on `files_base`.
pub async fn process_batch(
    client: &reqwest::Client,
    base: &str,
    files_base: &str,
    names: &[String],
) -> Vec<Queued> {
    let files: Vec<Value> = names
        .iter()
        .map(|n| json!({"blob_url": format!("{files_base}/{n}"), "filename": n}))
        .collect();
    let resp = client
        .post(format!("{base}/api/v1/invoices/process-batch"))
        .json(&json!({"files": files, "options": {"auto_save": true}}))
        .send()
        .await
        .expect("process-batch");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, 202, "batch refused: {body}");
    let queued = queued_from(&body);
    assert_eq!(queued.len(), names.len(), "{body}");
    queued
}

/// Serves `docs` by name over HTTP on 127.0.0.1.
pub async fn file_server(docs: &[(String, Vec<u8>)]) -> String {
    use axum::extract::Path as AxPath;
    let map: Arc<HashMap<String, Vec<u8>>> = Arc::new(docs.iter().cloned().collect());
    let app = axum::Router::new().route(
        "/{name}",
        axum::routing::get(move |AxPath(name): AxPath<String>| {
            let map = map.clone();
            async move {
                match map.get(&name) {
                    Some(b) => (axum::http::StatusCode::OK, b.clone()),
                    None => (axum::http::StatusCode::NOT_FOUND, Vec::new()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

pub async fn job_status(client: &reqwest::Client, base: &str, id: Uuid) -> Value {
    client
        .get(format!("{base}/api/v1/invoices/status/{id}"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json")
}

/// Polls until every job is terminal; returns their final views.
pub async fn wait_terminal(
    client: &reqwest::Client,
    base: &str,
    ids: &[Uuid],
    limit: Duration,
) -> Result<HashMap<Uuid, Value>, String> {
    let started = Instant::now();
    let mut done = HashMap::new();
    while started.elapsed() < limit {
        for id in ids {
            if done.contains_key(id) {
                continue;
            }
            let v = job_status(client, base, *id).await;
            if matches!(
                v["status"].as_str(),
                Some("succeeded" | "failed" | "cancelled")
            ) {
                done.insert(*id, v);
            }
        }
        if done.len() == ids.len() {
            return Ok(done);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Err(format!(
        "{} of {} jobs terminal after {limit:?}",
        done.len(),
        ids.len()
    ))
}

/// A WebSocket client that records the terminal event of every job it follows.
pub struct EventWatcher {
    pub terminal: Arc<Mutex<HashMap<Uuid, Value>>>,
    send: tokio::sync::mpsc::UnboundedSender<String>,
}

impl EventWatcher {
    pub async fn connect(base: &str, token: &str) -> EventWatcher {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!("{}/ws", base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().expect("ws request");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket");
        let (mut tx, mut rx) = socket.split();
        let terminal = Arc::new(Mutex::new(HashMap::new()));
        let (send, mut outbox) = tokio::sync::mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(m) = outbox.recv().await {
                if tx
                    .send(tokio_tungstenite::tungstenite::Message::Text(m.into()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
        let t = terminal.clone();
        tokio::spawn(async move {
            while let Some(Ok(msg)) = rx.next().await {
                let Ok(text) = msg.into_text() else { continue };
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                let id = v["job_id"].as_str().and_then(|s| s.parse::<Uuid>().ok());
                let event = v["event"].as_str().unwrap_or_default();
                let terminal_snapshot = event == "job.snapshot"
                    && matches!(
                        v["status"].as_str(),
                        Some("succeeded" | "failed" | "cancelled")
                    );
                if let Some(id) = id
                    && (matches!(event, "job.completed" | "job.failed" | "job.cancelled")
                        || terminal_snapshot)
                {
                    t.lock().expect("lock").entry(id).or_insert(v);
                }
            }
        });
        EventWatcher { terminal, send }
    }

    /// Subscribes in messages of at most 100 jobs, the server's limit per message.
    pub fn subscribe(&self, jobs: &[Queued]) {
        for chunk in jobs.chunks(100) {
            let grants: Vec<Value> = chunk
                .iter()
                .map(|q| json!({"job_id": q.job_id, "token": q.token}))
                .collect();
            let _ = self
                .send
                .send(json!({"action": "subscribe", "jobs": grants}).to_string());
        }
    }

    /// Waits until a terminal event arrived for each job; returns the ids still missing.
    pub async fn wait_for(&self, ids: &[Uuid], limit: Duration) -> HashSet<Uuid> {
        let started = Instant::now();
        loop {
            let missing: HashSet<Uuid> = {
                let t = self.terminal.lock().expect("lock");
                ids.iter()
                    .filter(|id| !t.contains_key(id))
                    .copied()
                    .collect()
            };
            if missing.is_empty() || started.elapsed() > limit {
                return missing;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Bigger documents (several pages) so a job takes long enough to be interrupted.
pub fn slow_documents(first_seed: u64, n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n as u64)
        .map(|i| {
            let s = doxin_synth::generate(
                first_seed + i,
                &doxin_synth::Spec {
                    lines: 90..=120,
                    ..Default::default()
                },
            );
            (format!("long-{}.pdf", first_seed + i), s.pdf)
        })
        .collect()
}

/// A Redis server of the test's own (FLUSHALL must not touch anyone else's data).
pub struct OwnRedis {
    child: Child,
    pub port: u16,
}

impl OwnRedis {
    pub fn start() -> Option<OwnRedis> {
        let port = free_port();
        let child = match Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                assert!(!ci(), "redis-server must be installed in CI: {e}");
                eprintln!("skipping: no redis-server ({e})");
                return None;
            }
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(OwnRedis { child, port })
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PostgreSQL server of the test's own, to stop and start (from the pgserver binaries the
/// test script installs: `DOXIN_TEST_PG_BIN`, run as `DOXIN_TEST_PG_USER` when root).
pub struct OwnPostgres {
    bin: PathBuf,
    user: Option<String>,
    data: PathBuf,
    root: PathBuf,
    pub port: u16,
}

impl OwnPostgres {
    pub fn start() -> Option<OwnPostgres> {
        let bin = PathBuf::from(service("DOXIN_TEST_PG_BIN")?);
        let user = std::env::var("DOXIN_TEST_PG_USER")
            .ok()
            .filter(|u| !u.is_empty());
        let root = PathBuf::from(format!(
            "/var/tmp/doxin-pg-restart-{}",
            Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&root).expect("pg dir");
        if let Some(u) = &user {
            let ok = Command::new("chown")
                .args(["-R", u])
                .arg(&root)
                .status()
                .expect("chown");
            assert!(ok.success(), "chown {u}");
        }
        let pg = OwnPostgres {
            bin,
            user,
            data: root.join("data"),
            root,
            port: free_port(),
        };
        let data = pg.data.display().to_string();
        pg.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        );
        pg.ctl_start();
        Some(pg)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool).display().to_string();
        let mut cmd = match &self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--", &exe]);
                c
            }
            None => Command::new(&exe),
        };
        let out = cmd.args(args).output().expect("run postgres tool");
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn ctl_start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.root.display()
        );
        let data = self.data.display().to_string();
        let log = self.root.join("log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"],
        );
    }

    pub fn ctl_stop(&self) {
        let data = self.data.display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let exe = self.bin.join("pg_ctl").display().to_string();
        let mut cmd = match &self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--", &exe]);
                c
            }
            None => Command::new(&exe),
        };
        let _ = cmd.args(["-D", &data, "-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Jobs running under a lease of the worker process `pid`.
pub async fn running_jobs_of(url: &str, pid: u32) -> Vec<Uuid> {
    let mut c = PgConnection::connect(url).await.expect("connect");
    sqlx::query("SELECT id FROM processing_jobs WHERE status = 'running' AND lease_owner LIKE $1")
        .bind(format!("%-{pid}-%"))
        .fetch_all(&mut c)
        .await
        .expect("running jobs")
        .iter()
        .map(|r| r.get::<Uuid, _>("id"))
        .collect()
}

pub async fn job_attempts(url: &str, id: Uuid) -> i32 {
    let mut c = PgConnection::connect(url).await.expect("connect");
    sqlx::query("SELECT attempts FROM processing_jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&mut c)
        .await
        .expect("job")
        .get("attempts")
}

pub async fn health_status(client: &reqwest::Client, base: &str) -> u16 {
    match client
        .get(format!("{base}/api/v1/health/detailed"))
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// A Redis key prefix of the test's own on the shared Redis; its keys are deleted on drop.
pub struct RedisPrefix {
    url: String,
    pub prefix: String,
}

impl RedisPrefix {
    pub fn new(url: &str) -> RedisPrefix {
        RedisPrefix {
            url: url.to_string(),
            prefix: format!("doxin-test-{}", Uuid::new_v4().simple()),
        }
    }
}

impl Drop for RedisPrefix {
    fn drop(&mut self) {
        let Ok(out) = Command::new("redis-cli")
            .args([
                "-u",
                &self.url,
                "--scan",
                "--pattern",
                &format!("{}:*", self.prefix),
            ])
            .output()
        else {
            return;
        };
        let keys: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .filter(|k| !k.is_empty())
            .collect();
        if !keys.is_empty() {
            let _ = Command::new("redis-cli")
                .args(["-u", &self.url, "DEL"])
                .args(&keys)
                .output();
        }
    }
}
