//! Issue 15: TLS to managed PostgreSQL and Redis. A test CA and a server certificate (SAN
//! 127.0.0.1 and localhost) made with `openssl` at test time; a Redis with only a TLS port and a
//! PostgreSQL with `ssl=on` whose pg_hba.conf accepts only `hostssl` (both the tests' own, so
//! a connection without TLS cannot succeed); the pipeline over `sslmode=verify-full` and
//! `rediss://` with `REDIS_CA_FILE`; a wrong CA is a clear error, not a hang; plain URLs are
//! refused in production, naming the variable.
//!
//! The PostgreSQL is `DOXIN_TEST_PG_TLS_BIN` (a copy of Debian's PostgreSQL 15 with pgvector,
//! scripts/lib/services.sh `ensure_tls_postgres`: the pgserver PostgreSQL 18 has no SSL), run
//! as `DOXIN_TEST_PG_USER` when root.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::client;
use crate::harness::*;

/// A CA, a server certificate it signed, and a second CA that signed nothing here.
struct TestCerts {
    dir: tempfile::TempDir,
}

impl TestCerts {
    fn make() -> Option<TestCerts> {
        if Command::new("openssl").arg("version").output().is_err() {
            assert!(
                !ci(),
                "openssl must be installed in CI (scripts/lib/services.sh)"
            );
            eprintln!("skipping: no openssl");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(d)
                .output()
                .expect("openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        for (name, cn) in [("ca", "DoxIn test CA"), ("other-ca", "Somebody else's CA")] {
            openssl(&[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN={cn}"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
            ]);
        }
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .expect("ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]);
        Some(TestCerts { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn ca(&self) -> String {
        self.path("ca.pem").display().to_string()
    }

    fn other_ca(&self) -> String {
        self.path("other-ca.pem").display().to_string()
    }
}

/// A Redis of the test's own that speaks only TLS (`--port 0`).
struct TlsRedis {
    child: Child,
    port: u16,
}

impl TlsRedis {
    fn start(certs: &TestCerts) -> Option<TlsRedis> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .arg("--tls-cert-file")
            .arg(certs.path("server.pem"))
            .arg("--tls-key-file")
            .arg(certs.path("server.key"))
            .arg("--tls-ca-cert-file")
            .arg(certs.path("ca.pem"))
            .args([
                "--tls-auth-clients",
                "no",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                assert!(!ci(), "redis-server must be installed in CI: {e}");
                eprintln!("skipping: no redis-server ({e})");
                return None;
            }
        };
        let mut redis = TlsRedis { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = redis.child.try_wait() {
                panic!("redis-server with TLS exited ({status}): is it built with TLS?");
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server with TLS did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(redis)
    }

    fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PostgreSQL of the test's own with `ssl=on` and only `hostssl` lines in pg_hba.conf.
struct TlsPostgres {
    bin: PathBuf,
    user: Option<String>,
    root: PathBuf,
    port: u16,
}

impl TlsPostgres {
    fn start(certs: &TestCerts) -> Option<TlsPostgres> {
        let bin = PathBuf::from(service("DOXIN_TEST_PG_TLS_BIN")?);
        let user = std::env::var("DOXIN_TEST_PG_USER")
            .ok()
            .filter(|u| !u.is_empty());
        let root = PathBuf::from(format!("/var/tmp/doxin-pg-tls-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).expect("pg dir");
        // The server reads its certificate and key as its own user; the key must be 0600.
        for f in ["server.pem", "server.key"] {
            std::fs::copy(certs.path(f), root.join(f)).expect("copy cert");
        }
        set_mode(&root.join("server.key"), 0o600);
        let pg = TlsPostgres {
            bin,
            user,
            root,
            port: free_port(),
        };
        pg.chown();
        let data = pg.root.join("data");
        pg.run(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        );
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostnossl all all 0.0.0.0/0 reject\n\
             hostnossl all all ::/0 reject\n",
        )
        .expect("pg_hba.conf");
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .expect("postgresql.conf");
        use std::io::Write;
        writeln!(
            conf,
            "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'",
            pg.root.join("server.pem").display(),
            pg.root.join("server.key").display()
        )
        .expect("write postgresql.conf");
        drop(conf);
        pg.chown();
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            pg.port,
            pg.root.display()
        );
        pg.run(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-o",
                &opts,
                "-l",
                &pg.root.join("log").display().to_string(),
                "-w",
                "start",
            ],
        );
        Some(pg)
    }

    fn chown(&self) {
        if let Some(u) = &self.user {
            let ok = Command::new("chown")
                .args(["-R", u])
                .arg(&self.root)
                .status()
                .expect("chown");
            assert!(ok.success(), "chown {u}");
        }
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool).display().to_string();
        match &self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--", &exe]);
                c
            }
            None => Command::new(exe),
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self
            .command(tool)
            .args(args)
            .current_dir(&self.root)
            .output()
            .expect("run postgres tool");
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The URL with `sslmode` and the rest of `query`.
    fn url(&self, query: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?{query}",
            self.port
        )
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        let data = self.root.join("data").display().to_string();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "stop"])
            .current_dir(&self.root)
            .output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Production settings every TLS deployment here shares.
fn production_env<'a>(database_url: &'a str, redis_url: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("ENVIRONMENT", "production"),
        (
            "JWT_SECRET_KEY",
            "pipeline-test-jwt-secret-key-0123456789abcdef",
        ),
        ("NEON_DATABASE_URL", database_url),
        ("PRODUCTION_REDIS_URL", redis_url),
    ]
}

/// Runs `doxin <args>` with `dep`'s environment plus `extra`; kills it after `limit` (a
/// hang fails the test). Returns the exit status and stderr + stdout.
fn run_limited(
    dep: &Deployment,
    args: &[&str],
    extra: &[(&str, &str)],
    limit: Duration,
) -> (ExitStatus, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dep.path()).env_clear();
    for key in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(key) {
            cmd.env(key, v);
        }
    }
    for (k, v) in &dep.env {
        cmd.env(k, v);
    }
    cmd.envs(extra.iter().copied());
    let out_path = dep
        .path()
        .join(format!("run-{}.out", Uuid::new_v4().simple()));
    let out = std::fs::File::create(&out_path).expect("output file");
    let mut child = cmd
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .spawn()
        .expect("spawn doxin");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "doxin {args:?} still running after {limit:?} (a hang, not an error):\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (
        status,
        std::fs::read_to_string(&out_path).unwrap_or_default(),
    )
}

/// (a)(b) The pipeline over verified TLS in production: an API and a worker (separate
/// processes) on PostgreSQL with `sslmode=verify-full&sslrootcert=…` and Redis over
/// `rediss://` with `REDIS_CA_FILE`; uploads finish, the health check sees both, and every
/// connection the database holds is encrypted. Neither server accepts anything but TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_pipeline_runs_over_verify_full_and_rediss_in_production() {
    let Some(certs) = TestCerts::make() else {
        return;
    };
    let Some(pg) = TlsPostgres::start(&certs) else {
        return;
    };
    let Some(redis) = TlsRedis::start(&certs) else {
        return;
    };
    let ca = certs.ca();
    let db_url = pg.url(&format!("sslmode=verify-full&sslrootcert={ca}"));
    let redis_url = redis.url();
    let mut env = production_env(&db_url, &redis_url);
    env.push(("REDIS_CA_FILE", &ca));
    let prefix = format!("tls{}", Uuid::new_v4().simple());
    env.push(("REDIS_KEY_PREFIX", &prefix));
    let dep = Deployment::new(&env);

    // The fixtures refuse plain connections, so nothing below can pass without TLS.
    let (status, out) = run_limited(
        &dep,
        &["migrate"],
        &[
            ("ENVIRONMENT", "development"),
            ("NEON_DATABASE_URL", &pg.url("sslmode=disable")),
        ],
        Duration::from_secs(60),
    );
    assert!(!status.success(), "a plain connection was accepted: {out}");
    assert!(out.contains("no encryption"), "{out}");
    let plain_redis = format!("redis://127.0.0.1:{}", redis.port);
    let plain = redis::Client::open(plain_redis.as_str()).expect("client");
    let ping = tokio::time::timeout(Duration::from_secs(5), async {
        let mut c = plain.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut c).await
    })
    .await;
    assert!(
        !matches!(ping, Ok(Ok(_))),
        "the Redis fixture answered without TLS"
    );

    let api = dep.api("api", false);
    let _worker = dep.worker("worker", 2);
    let token = dep.user_token();
    let http = client(&token);
    let docs = documents(31_000, 3);
    let queued = upload(&http, &api.base(), &docs).await;
    let ids: Vec<Uuid> = queued.iter().map(|q| q.job_id).collect();
    let done = dep
        .wait_all(&http, &api.base(), &ids, Duration::from_secs(120))
        .await;
    for (id, v) in &done {
        assert_eq!(v["status"], "succeeded", "job {id}: {v}\n{}", dep.logs());
    }

    // The API's own connections: the health endpoint reaches both over TLS.
    let resp = http
        .get(format!("{}/api/v1/health/detailed", api.base()))
        .send()
        .await
        .expect("health");
    let code = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert!(
        code == 200 && text.contains("redis") && !text.contains("\"down\""),
        "{code} {text}"
    );

    // Every client connection the server holds is encrypted.
    use sqlx::{Connection, Row};
    let mut c = sqlx::PgConnection::connect(&db_url).await.expect("connect");
    let row = sqlx::query(
        "SELECT count(*) FILTER (WHERE s.ssl) AS tls, count(*) AS all_clients \
         FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid \
         WHERE a.client_addr IS NOT NULL",
    )
    .fetch_one(&mut c)
    .await
    .expect("pg_stat_ssl");
    let (tls, all): (i64, i64) = (row.get("tls"), row.get("all_clients"));
    assert!(all >= 2, "the API and worker pools are connected: {all}");
    assert_eq!(tls, all, "every connection uses TLS");
}

/// (c) A certificate that does not chain to the configured CA stops the process with a clear
/// message, for PostgreSQL (`sslrootcert`) and for Redis (`REDIS_CA_FILE`), within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_wrong_ca_is_a_clear_error_not_a_hang() {
    let Some(certs) = TestCerts::make() else {
        return;
    };
    let Some(pg) = TlsPostgres::start(&certs) else {
        return;
    };
    let Some(redis) = TlsRedis::start(&certs) else {
        return;
    };
    let (ca, other) = (certs.ca(), certs.other_ca());
    let good_db = pg.url(&format!("sslmode=verify-full&sslrootcert={ca}"));
    let bad_db = pg.url(&format!("sslmode=verify-full&sslrootcert={other}"));
    let redis_url = redis.url();
    let dep = Deployment::new(&production_env(&good_db, &redis_url));
    let limit = Duration::from_secs(45);

    let started = Instant::now();
    let (status, out) = run_limited(&dep, &["migrate"], &[("NEON_DATABASE_URL", &bad_db)], limit);
    assert!(!status.success(), "{out}");
    assert!(
        out.contains("TLS connection to the database failed") && out.contains("sslrootcert"),
        "{out}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );

    // The database is fine; Redis's certificate is not from REDIS_CA_FILE's CA.
    for args in [&["worker"][..], &["serve", "--no-worker"]] {
        let started = Instant::now();
        let (status, out) = run_limited(&dep, args, &[("REDIS_CA_FILE", &other)], limit);
        assert!(!status.success(), "{args:?}: {out}");
        assert!(
            out.contains("TLS connection to Redis failed") && out.contains("REDIS_CA_FILE"),
            "{args:?}: {out}"
        );
        assert!(
            out.to_ascii_lowercase().contains("certificate"),
            "{args:?}: {out}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{args:?} took {:?}",
            started.elapsed()
        );
    }
}

/// (d) In production a plain URL is refused before anything connects, naming the variable
/// that supplied it; a missing REDIS_CA_FILE is named too. `config check` lists REDIS_CA_FILE.
#[test]
fn tls_plain_urls_are_refused_in_production_naming_the_variable() {
    let dep = Deployment::new(&[
        ("ENVIRONMENT", "production"),
        (
            "JWT_SECRET_KEY",
            "pipeline-test-jwt-secret-key-0123456789abcdef",
        ),
    ]);
    let limit = Duration::from_secs(30);
    let tls_db = "postgres://u:pw@127.0.0.1:1/doxin?sslmode=require";
    for (extra, named) in [
        (
            vec![("NEON_DATABASE_URL", "postgres://u:s3cret@127.0.0.1:1/doxin")],
            "NEON_DATABASE_URL",
        ),
        (
            vec![(
                "DATABASE_URL",
                "postgres://u:s3cret@127.0.0.1:1/doxin?sslmode=prefer",
            )],
            "DATABASE_URL",
        ),
        (
            vec![
                ("NEON_DATABASE_URL", tls_db),
                ("PRODUCTION_REDIS_URL", "redis://:s3cret@127.0.0.1:1"),
            ],
            "PRODUCTION_REDIS_URL",
        ),
        (
            vec![
                ("NEON_DATABASE_URL", tls_db),
                ("REDIS_URL", "redis://:s3cret@127.0.0.1:1"),
            ],
            "REDIS_URL",
        ),
        (
            vec![
                ("NEON_DATABASE_URL", tls_db),
                ("CELERY_BROKER_URL", "redis://:s3cret@127.0.0.1:1"),
            ],
            "CELERY_BROKER_URL",
        ),
        (
            vec![
                ("NEON_DATABASE_URL", tls_db),
                ("PRODUCTION_REDIS_URL", "rediss://127.0.0.1:1"),
                ("REDIS_CA_FILE", "/nonexistent/ca.pem"),
            ],
            "REDIS_CA_FILE",
        ),
    ] {
        for args in [&["config", "check"][..], &["serve"], &["worker"]] {
            let (status, out) = run_limited(&dep, args, &extra, limit);
            assert_eq!(status.code(), Some(2), "{args:?} {extra:?}: {out}");
            assert!(
                out.contains(named) && out.contains("configuration error"),
                "{args:?} {extra:?}: {out}"
            );
            assert!(!out.contains("s3cret"), "{out}");
        }
    }
    // With TLS URLs the check passes and shows the CA file.
    let certs = TestCerts::make();
    if let Some(certs) = certs {
        let ca = certs.ca();
        let (status, out) = run_limited(
            &dep,
            &["config", "check"],
            &[
                ("NEON_DATABASE_URL", tls_db),
                ("PRODUCTION_REDIS_URL", "rediss://127.0.0.1:1"),
                ("REDIS_CA_FILE", &ca),
            ],
            limit,
        );
        assert!(status.success(), "{out}");
        assert!(
            out.lines()
                .any(|l| l.starts_with("REDIS_CA_FILE") && l.contains(&ca)),
            "{out}"
        );
    }
}

/// (e) `sslmode=require` encrypts without checking the certificate (libpq's meaning): it
/// works against a server whose CA DoxIn was not given, where verify-full would not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_sslmode_require_encrypts_without_a_ca() {
    let Some(certs) = TestCerts::make() else {
        return;
    };
    let Some(pg) = TlsPostgres::start(&certs) else {
        return;
    };
    let dep = Deployment::new(&[
        ("ENVIRONMENT", "production"),
        (
            "JWT_SECRET_KEY",
            "pipeline-test-jwt-secret-key-0123456789abcdef",
        ),
    ]);
    let limit = Duration::from_secs(60);
    let require = pg.url("sslmode=require");
    let (status, out) = run_limited(
        &dep,
        &["migrate"],
        &[("NEON_DATABASE_URL", &require)],
        limit,
    );
    assert!(status.success(), "{out}");
    assert!(out.contains("database migrated"), "{out}");
    // verify-full without the CA: the public roots do not know the test CA.
    let (status, out) = run_limited(
        &dep,
        &["migrate"],
        &[("NEON_DATABASE_URL", &pg.url("sslmode=verify-full"))],
        limit,
    );
    assert!(!status.success(), "{out}");
    assert!(
        out.contains("TLS connection to the database failed"),
        "{out}"
    );
    // And the server really is TLS-only.
    let (status, out) = run_limited(
        &dep,
        &["migrate"],
        &[
            ("ENVIRONMENT", "development"),
            ("DATABASE_URL", &pg.url("sslmode=disable")),
        ],
        limit,
    );
    assert!(!status.success(), "{out}");
}
