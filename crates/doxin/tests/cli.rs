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
    serve_at(dir, &all, port)
}

/// Starts `doxin serve` with exactly `env` (which sets the port `port`).
fn serve_at(dir: &Path, env: &[(&str, &str)], port: u16) -> Server {
    let all = env;
    let mut child = doxin(dir, &["serve"], all)
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
    send_json(port, reqwest::Method::GET, path, None, None)
}

/// A request to a running server, with an optional bearer token and JSON body.
fn send_json(
    port: u16,
    method: reqwest::Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    // reqwest is built without a TLS provider of its own (the workspace Cargo.toml).
    let _ = rustls::crypto::ring::default_provider().install_default();
    rt.block_on(async {
        let mut rb =
            reqwest::Client::new().request(method, format!("http://127.0.0.1:{port}{path}"));
        if let Some(token) = bearer {
            rb = rb.bearer_auth(token);
        }
        if let Some(body) = body {
            rb = rb.json(&body);
        }
        let resp = rb.send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    })
}

/// Creates an administrator with `doxin user create` and returns a personal API token of
/// theirs (health details are for administrators).
fn admin_token(dir: &Path, env: &[(&str, &str)]) -> String {
    let mut all = vec![("DOXIN_USER_PASSWORD", "violet harbour lantern")];
    all.extend_from_slice(env);
    let out = run(
        dir,
        &["user", "create", "--email", "root@example.com", "--admin"],
        &all,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(dir, &["user", "token", "--email", "root@example.com"], env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
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
    let token = admin_token(dir.path(), &[]);
    let mut server = serve(dir.path(), &[]);
    let (status, body) = get_json(server.port, "/api/health");
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["service"], "doxin");
    let (status, body) = send_json(
        server.port,
        reqwest::Method::GET,
        "/api/v1/health/detailed",
        Some(&token),
        None,
    );
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
    let token = admin_token(dir.path(), &[("DATABASE_URL", url.as_str())]);
    let mut server = serve(dir.path(), &[("DATABASE_URL", url.as_str())]);
    let (status, body) = send_json(
        server.port,
        reqwest::Method::GET,
        "/api/v1/health/detailed",
        Some(&token),
        None,
    );
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

/// Finding 9: `config check` and configuration errors never print a URL's credentials.
#[test]
fn finding_9_config_check_and_errors_mask_url_credentials() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(
        dir.path(),
        &["config", "check"],
        &[
            (
                "DATABASE_URL",
                "postgres://app@db:5432/doxin?password=qu3ry-pw",
            ),
            ("FRONTEND_URL", "https://deploy:fr0nt-pw@app.example.com"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for leaked in ["qu3ry-pw", "fr0nt-pw"] {
        assert!(!stdout.contains(leaked), "{leaked} leaked:\n{stdout}");
    }
    assert!(stdout.contains("password=********"), "{stdout}");
    // A URL too broken to parse is still masked in the error.
    let out = run(
        dir.path(),
        &["config", "check"],
        &[("DATABASE_URL", "postgres://app:br0ken-pw@db:99999/doxin")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(!stderr.contains("br0ken-pw"), "{stderr}");
}

/// Finding 6: `doxin user create` applies the password policy of sign-up.
#[test]
fn finding_6_user_create_refuses_weak_passwords() {
    let dir = tempfile::tempdir().expect("tempdir");
    for pw in [
        "          ",
        "aaaaaaaaaa",
        "ann.smith@example.com",
        "password123",
    ] {
        let out = run(
            dir.path(),
            &["user", "create", "--email", "ann.smith@example.com"],
            &[("DOXIN_USER_PASSWORD", pw)],
        );
        assert!(!out.status.success(), "{pw:?} accepted");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("weak_password"), "{pw:?}: {stderr}");
    }
    let out = run(
        dir.path(),
        &["user", "create", "--email", "ann.smith@example.com"],
        &[("DOXIN_USER_PASSWORD", "violet harbour lantern")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Finding 10: without JWT_SECRET_KEY, a server on 0.0.0.0 in the default environment signs
/// with a key of its own installation (kept, private, reused), never the public default, and
/// refuses ten-year tokens.
#[test]
fn finding_10_the_jwt_key_is_per_installation_and_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The administrator signs in with a password below.
    admin_token(dir.path(), &[]);
    let port = free_port();
    let port_s = port.to_string();
    let env = [("HOST", "0.0.0.0"), ("PORT", port_s.as_str())];
    let server = serve_at(dir.path(), &env, port);
    let key_file = dir.path().join("data/jwt_secret_key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("the key is kept in DATA_DIR/jwt_secret_key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key = std::fs::read_to_string(&key_file).expect("key");
    let (status, body) = send_json(
        port,
        reqwest::Method::POST,
        "/api/v1/auth/jwt-token",
        None,
        Some(
            serde_json::json!({"email": "root@example.com", "password": "violet harbour lantern"}),
        ),
    );
    assert_eq!(status, 200, "{body}");
    let jwt = body["access_token"].as_str().expect("jwt").to_string();
    let me = |port: u16, token: &str| {
        send_json(
            port,
            reqwest::Method::GET,
            "/api/v1/auth/me",
            Some(token),
            None,
        )
        .0
    };
    assert_eq!(me(port, &jwt), 200);

    // Tokens signed with the old public development secret, or living ten years, are refused.
    doxin_server::auth::jwt_crypto::install();
    let claims = |secret: &[u8], exp: i64| {
        let payload = serde_json::json!({
            "sub": body_sub(&jwt), "iat": now(), "exp": exp, "iss": "doxin",
            "aud": "doxin-api", "role": "admin", "pwv": body_pwv(&jwt),
        });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &payload,
            &jsonwebtoken::EncodingKey::from_secret(secret).expect("key"),
        )
        .expect("encode")
    };
    for public in [
        b"doxin-insecure-development-jwt-secret".as_slice(),
        b"doxin-development-jwt-secret".as_slice(),
    ] {
        assert_eq!(me(port, &claims(public, now() + 600)), 401);
    }
    assert_eq!(
        me(
            port,
            &claims(key.trim().as_bytes(), now() + 10 * 365 * 86_400)
        ),
        401,
        "a ten-year token, even with the right key"
    );
    drop(server);

    // Restarted: the same key, so the JWT still works.
    let _server = serve_at(dir.path(), &env, port);
    assert_eq!(
        std::fs::read_to_string(&key_file).expect("key"),
        key,
        "reused"
    );
    assert_eq!(me(port, &jwt), 200);
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A claim of a JWT, read without checking it (the test only reuses it).
fn jwt_claim(jwt: &str, name: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64");
    let claims: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    claims[name].clone()
}

fn body_sub(jwt: &str) -> serde_json::Value {
    jwt_claim(jwt, "sub")
}

fn body_pwv(jwt: &str) -> serde_json::Value {
    jwt_claim(jwt, "pwv")
}

// --- Issue 13, item 6: defects found trying DoxIn as a new user --------------------------------

/// A text invoice the rules read offline.
const TEXT_INVOICE: &str = "Invoice INV-77\nSeller GmbH\nDate 2024-03-01\nTotal 10.00 EUR\n";

#[test]
fn extract_prints_one_shape_per_format_whatever_the_number_of_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.txt"), TEXT_INVOICE).expect("write");
    std::fs::write(dir.path().join("b.txt"), TEXT_INVOICE).expect("write");
    for format in ["json", "fields"] {
        for files in [&["a.txt"][..], &["a.txt", "b.txt"]] {
            let mut args = vec!["extract", "--format", format];
            args.extend_from_slice(files);
            let out = run(dir.path(), &args, &[("SANDBOX", "false")]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            let items = v
                .as_array()
                .unwrap_or_else(|| panic!("{format} {files:?}: {v}"));
            assert_eq!(items.len(), files.len(), "{format}: {v}");
            assert_eq!(items[0]["file"], "a.txt", "{format}: {v}");
        }
    }
}

#[test]
fn an_error_is_printed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(
        dir.path(),
        &["migrate"],
        &[("DATABASE_URL", "postgres://doxin@127.0.0.1:1/nothing")],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(
        err.matches("cannot open the database").count(),
        1,
        "printed other than once:\n{err}"
    );
}

#[test]
fn eval_on_one_source_folder_names_the_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("supplier-scans");
    std::fs::create_dir(&source).expect("mkdir");
    std::fs::write(source.join("a.txt"), TEXT_INVOICE).expect("write");
    let out = run(
        dir.path(),
        &["eval", "supplier-scans", "--json"],
        &[("SANDBOX", "false")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let sources: Vec<&String> = v["sources"].as_object().expect("sources").keys().collect();
    assert_eq!(sources, ["supplier-scans"], "{v}");
    // A corpus of several folders keeps naming each by its folder.
    let out = run(
        dir.path(),
        &["eval", ".", "--json"],
        &[("SANDBOX", "false")],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let sources: Vec<&String> = v["sources"].as_object().expect("sources").keys().collect();
    assert_eq!(sources, ["supplier-scans"], "{v}");
}

#[test]
fn config_check_lists_the_ocr_and_every_smtp_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    for env in [
        &[][..],
        &[
            ("SMTP_HOST", "mail.example.com"),
            ("SMTP_PASSWORD", "mail-pw-123"),
        ],
    ] {
        let out = run(dir.path(), &["config", "check"], env);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        for var in [
            "OCR_LANGUAGES",
            "OCR_UPSCALE_BELOW",
            "OCR_LANGUAGE_CHOICE",
            "OCR_ENGINE",
            "SMTP_HOST",
            "SMTP_PORT",
            "SMTP_TLS",
            "SMTP_USERNAME",
            "SMTP_PASSWORD",
            "SMTP_FROM",
        ] {
            assert!(
                stdout.lines().any(|l| l.starts_with(var)),
                "{var} missing ({env:?}):\n{stdout}"
            );
        }
        assert!(!stdout.contains("mail-pw-123"), "{stdout}");
    }
    let out = run(
        dir.path(),
        &["config", "check"],
        &[("OCR_LANGUAGES", "eng;rm -rf")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("OCR_LANGUAGES"));
}

#[test]
fn serve_on_a_taken_port_fails_before_changing_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = run(
        dir.path(),
        &["serve", "--host", "127.0.0.1", "--port", &port],
        &[],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("cannot listen on"), "{err}");
    assert!(!err.contains("setup"), "a setup token was minted:\n{err}");
    assert!(
        !dir.path().join("data").exists(),
        "the data directory (database, keys) was created before the bind failed"
    );
}

/// `doxin serve --port N` on a fresh install: the setup link in the log and the invitation
/// links lead to port N, not to 8000.
#[test]
fn setup_and_invitation_links_follow_the_port_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let port_s = port.to_string();
    let mut child = doxin(
        dir.path(),
        &["serve", "--host", "127.0.0.1", "--port", &port_s],
        &[],
    )
    .stderr(Stdio::piped())
    .stdout(Stdio::null())
    .spawn()
    .expect("spawn serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut server = Server { child, port };
    let mut log = Vec::new();
    while !log.iter().any(|l: &String| l.contains("doxin serving")) {
        log.push(rx.recv_timeout(Duration::from_secs(60)).expect("log line"));
    }
    let setup = log
        .iter()
        .find(|l| l.contains("setup_url"))
        .unwrap_or_else(|| panic!("no setup link logged: {log:?}"));
    assert!(
        setup.contains(&format!("http://localhost:{port}/setup?token=")),
        "{setup}"
    );
    // An invitation made while it runs.
    let token = admin_token(dir.path(), &[]);
    let (status, _) = send_json(
        port,
        reqwest::Method::POST,
        "/api/v1/auth/access-requests",
        None,
        Some(serde_json::json!({"email": "new@example.com", "name": "New Person"})),
    );
    assert_eq!(status, 202);
    let (_, listed) = send_json(
        port,
        reqwest::Method::GET,
        "/api/v1/admin/access-requests?status=pending",
        Some(&token),
        None,
    );
    let id = listed["items"][0]["id"]
        .as_str()
        .expect("request id")
        .to_string();
    let (status, approved) = send_json(
        port,
        reqwest::Method::POST,
        &format!("/api/v1/admin/access-requests/{id}/approve"),
        Some(&token),
        None,
    );
    assert_eq!(status, 200, "{approved}");
    let link = approved["invitation_link"].as_str().expect("link");
    assert!(
        link.starts_with(&format!("http://localhost:{port}/register?code=")),
        "{link}"
    );
    sigterm(&server.child);
    wait_exit(&mut server.child, Duration::from_secs(30));
}

#[test]
fn monitor_help_documents_its_port() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["monitor", "--help"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let help = text(&out.stdout);
    for needle in ["--port", "MONITOR_PORT", "5555", "--host", "Flower"] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}
