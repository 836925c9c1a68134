//! The guard against real HTTP servers on loopback addresses, started inside each test.
//! "Never contacted" is proved by a server that counts requests and must see none.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use doxin_fetch::{FetchError, FetchPolicy, Fetcher, Resolver, StaticResolver, SystemResolver};
use futures::StreamExt;

struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Serves `router` on `ip`:0 in the background, counting every request it receives.
async fn serve(ip: [u8; 4], router: Router) -> Server {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = router.layer(middleware::from_fn(move |req: Request, next: Next| {
        counter.fetch_add(1, Ordering::SeqCst);
        next.run(req)
    }));
    let listener = tokio::net::TcpListener::bind((IpAddr::from(ip), 0))
        .await
        .expect("bind test server");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    Server { addr, hits }
}

/// A server that would answer anything with a document: what an attacker wants to reach.
async fn victim(ip: [u8; 4]) -> Server {
    serve(ip, Router::new().fallback(|| async { "secret" })).await
}

fn policy(allow: &str) -> FetchPolicy {
    FetchPolicy {
        allow: FetchPolicy::parse_allow_list(allow).expect("allow list"),
        max_bytes: 64 * 1024,
        timeout: Duration::from_secs(5),
        max_redirects: 3,
    }
}

fn fetcher(allow: &str) -> Fetcher {
    Fetcher::new(policy(allow))
}

fn with_hosts(allow: &str, hosts: &[(&str, &[&str])]) -> Fetcher {
    let resolver = StaticResolver::new(hosts.iter().map(|(name, addrs)| {
        let ips = addrs.iter().map(|a| a.parse().expect("ip")).collect();
        (*name, ips)
    }));
    Fetcher::with_resolver(policy(allow), Arc::new(resolver))
}

#[track_caller]
fn assert_blocked(result: Result<doxin_fetch::Fetched, FetchError>, want_addr: &str) -> FetchError {
    match result {
        Err(err @ FetchError::Blocked { addr, .. }) => {
            assert_eq!(addr, want_addr.parse::<IpAddr>().expect("ip"), "{err}");
            assert_eq!(err.code(), "url_blocked");
            err
        }
        other => panic!("expected Blocked({want_addr}), got {other:?}"),
    }
}

// --- refused targets -------------------------------------------------------------------------

#[tokio::test]
async fn refuses_loopback_literal_while_a_server_listens_there() {
    let server = victim([127, 0, 0, 1]).await;
    let err = assert_blocked(fetcher("").fetch(&server.url("/x")).await, "127.0.0.1");
    assert!(err.to_string().contains("loopback"), "{err}");
    assert!(!err.to_string().contains("secret"));
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn refuses_localhost_through_the_system_resolver() {
    let server = victim([127, 0, 0, 1]).await;
    let url = format!("http://localhost:{}/", server.addr.port());
    match fetcher("").fetch(&url).await {
        Err(FetchError::Blocked { host, addr, reason }) => {
            assert_eq!(host, "localhost");
            assert!(addr.is_loopback(), "{addr}");
            assert_eq!(reason, "loopback");
        }
        other => panic!("expected Blocked, got {other:?}"),
    }
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn refuses_cloud_metadata_and_private_literals() {
    let f = fetcher("");
    let err = assert_blocked(
        f.fetch("http://169.254.169.254/latest/meta-data/").await,
        "169.254.169.254",
    );
    assert!(err.to_string().contains("link-local"), "{err}");
    assert_blocked(f.fetch("http://10.0.0.5/").await, "10.0.0.5");
    assert_blocked(
        f.fetch("https://192.168.1.1/invoice.pdf").await,
        "192.168.1.1",
    );
    assert_blocked(f.fetch("http://100.64.0.1/").await, "100.64.0.1");
    assert_blocked(f.fetch("http://0.0.0.0:8080/").await, "0.0.0.0");
    assert_blocked(f.fetch("http://255.255.255.255/").await, "255.255.255.255");
    assert_blocked(f.fetch("http://[fd00::1]/").await, "fd00::1");
    assert_blocked(f.fetch("http://[fe80::1]/").await, "fe80::1");
    assert_blocked(f.fetch("http://[64:ff9b::a00:1]/").await, "64:ff9b::a00:1");
    assert_blocked(
        f.fetch("http://[2002:a9fe:a9fe::1]/").await,
        "2002:a9fe:a9fe::1",
    );
}

#[tokio::test]
async fn refuses_ipv6_loopback_and_ipv4_mapped_loopback() {
    let f = fetcher("");
    assert_blocked(f.fetch("http://[::1]/").await, "::1");
    assert_blocked(f.fetch("http://[::]/").await, "::");
    let err = assert_blocked(
        f.fetch("http://[::ffff:127.0.0.1]/").await,
        "::ffff:127.0.0.1",
    );
    assert!(err.to_string().contains("loopback"), "{err}");
    assert_blocked(
        f.fetch("http://[::ffff:169.254.169.254]/").await,
        "::ffff:169.254.169.254",
    );
}

#[tokio::test]
async fn url_normalises_numeric_hosts_and_the_guard_sees_127_0_0_1() {
    let server = victim([127, 0, 0, 1]).await;
    let port = server.addr.port();
    for host in ["2130706433", "0x7f.1", "0177.0.0.1", "0x7f000001", "127.1"] {
        let url = format!("http://{host}:{port}/x");
        let parsed = url::Url::parse(&url).expect("url parses numeric host");
        assert_eq!(parsed.host_str(), Some("127.0.0.1"), "{host}");
        assert_blocked(fetcher("").fetch(&url).await, "127.0.0.1");
    }
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn refuses_a_name_resolving_to_a_private_address() {
    let f = with_hosts("", &[("intranet.example", &["10.1.2.3"])]);
    match f.fetch("http://intranet.example/invoice.pdf").await {
        Err(FetchError::Blocked { host, addr, reason }) => {
            assert_eq!(host, "intranet.example");
            assert_eq!(addr, IpAddr::from([10, 1, 2, 3]));
            assert_eq!(reason, "private");
        }
        other => panic!("expected Blocked, got {other:?}"),
    }
}

#[tokio::test]
async fn one_blocked_address_refuses_the_name_and_nothing_is_connected() {
    // 127.0.0.1 is allowed and serving; the name also resolves to 10.1.2.3, so it is refused
    // before any connection, and the allowed server sees no request.
    let server = victim([127, 0, 0, 1]).await;
    let f = with_hosts(
        "127.0.0.1/32",
        &[("intranet.example", &["127.0.0.1", "10.1.2.3"])],
    );
    let url = format!("http://intranet.example:{}/x", server.addr.port());
    assert_blocked(f.fetch(&url).await, "10.1.2.3");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn refuses_other_schemes() {
    let f = fetcher("");
    for (url, scheme) in [
        ("ftp://example.com/invoice.pdf", "ftp"),
        ("file:///etc/passwd", "file"),
        ("gopher://example.com:70/_GET", "gopher"),
        ("data:text/plain,hello", "data"),
        ("javascript:alert(1)", "javascript"),
        ("ws://example.com/", "ws"),
    ] {
        match f.fetch(url).await {
            Err(err @ FetchError::Scheme(_)) => {
                assert!(
                    matches!(&err, FetchError::Scheme(s) if s == scheme),
                    "{err:?}"
                );
                assert_eq!(err.code(), "url_scheme");
            }
            other => panic!("{url}: expected Scheme, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn refuses_urls_with_credentials() {
    let server = victim([127, 0, 0, 1]).await;
    let f = fetcher("127.0.0.1/32");
    let port = server.addr.port();
    for url in [
        format!("http://user:pass@127.0.0.1:{port}/"),
        format!("http://user@127.0.0.1:{port}/"),
        format!("http://:secret@127.0.0.1:{port}/"),
        "https://admin:admin@example.com/".to_string(),
    ] {
        let err = f.fetch(&url).await.expect_err(&url);
        assert!(matches!(err, FetchError::Credentials), "{url}: {err:?}");
        assert_eq!(err.code(), "url_credentials");
    }
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn refuses_unparseable_urls() {
    let f = fetcher("");
    for url in [
        "not a url",
        "http://",
        "/relative/path",
        "http://exa mple.com/",
    ] {
        let err = f.fetch(url).await.expect_err(url);
        assert!(matches!(err, FetchError::Invalid(_)), "{url}: {err:?}");
        assert_eq!(err.code(), "url_invalid");
    }
}

// --- allowed targets -------------------------------------------------------------------------

#[tokio::test]
async fn allow_listed_server_returns_bytes_type_and_filename() {
    let server = serve(
        [127, 0, 0, 1],
        Router::new()
            .route(
                "/download",
                get(|| async {
                    (
                        [
                            (header::CONTENT_TYPE, "application/pdf"),
                            (
                                header::CONTENT_DISPOSITION,
                                "attachment; filename=\"Rechnung 42.pdf\"",
                            ),
                        ],
                        "%PDF-1.7 fake",
                    )
                }),
            )
            .route("/files/inv%2001.xml", get(|| async { "<Invoice/>" })),
    )
    .await;
    let f = fetcher("127.0.0.1/32");

    let got = f
        .fetch(&server.url("/download?sig=abc"))
        .await
        .expect("fetch");
    assert_eq!(got.bytes, b"%PDF-1.7 fake");
    assert_eq!(got.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(got.filename_hint.as_deref(), Some("Rechnung 42.pdf"));
    assert_eq!(got.final_url.as_str(), server.url("/download?sig=abc"));

    let got = f
        .fetch(&server.url("/files/inv%2001.xml"))
        .await
        .expect("fetch");
    assert_eq!(got.bytes, b"<Invoice/>");
    assert_eq!(got.filename_hint.as_deref(), Some("inv 01.xml"));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn host_rule_connects_to_the_pinned_address() {
    // `files.example` exists only in the static resolver, so success proves the connection
    // went to the vetted address rather than through a second (system) lookup.
    let server = serve(
        [127, 0, 0, 1],
        Router::new().route(
            "/doc.pdf",
            get(|headers: HeaderMap| async move {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                format!("host={host}")
            }),
        ),
    )
    .await;
    let f = with_hosts("files.example", &[("files.example", &["127.0.0.1"])]);
    let port = server.addr.port();
    let got = f
        .fetch(&format!("http://files.example:{port}/doc.pdf"))
        .await
        .expect("fetch");
    assert_eq!(got.bytes, format!("host=files.example:{port}").into_bytes());
    assert_eq!(got.filename_hint.as_deref(), Some("doc.pdf"));

    // The rule names one host: another name on the same address is still refused.
    let other = with_hosts("files.example", &[("other.example", &["127.0.0.1"])]);
    assert_blocked(
        other
            .fetch(&format!("http://other.example:{port}/doc.pdf"))
            .await,
        "127.0.0.1",
    );
    assert_eq!(server.hits(), 1);
}

// --- redirects -------------------------------------------------------------------------------

fn redirect_to(location: String) -> axum::routing::MethodRouter {
    get(move || {
        let location = location.clone();
        async move { Redirect::temporary(&location) }
    })
}

#[tokio::test]
async fn redirects_to_blocked_targets_are_refused_before_contact() {
    // 127.0.0.2 is loopback too but not allow-listed: a real server there must see nothing.
    let inner = victim([127, 0, 0, 2]).await;
    let outer = serve(
        [127, 0, 0, 1],
        Router::new()
            .route(
                "/meta",
                redirect_to("http://169.254.169.254/latest/meta-data/".into()),
            )
            .route("/ten", redirect_to("http://10.0.0.1/".into()))
            .route("/name", redirect_to("http://intranet.example/x".into()))
            .route("/inner", redirect_to(inner.url("/secret")))
            .route(
                "/mapped",
                redirect_to(format!("http://[::ffff:127.0.0.2]:{}/", inner.addr.port())),
            )
            .route("/file", redirect_to("file:///etc/passwd".into()))
            .route("/creds", redirect_to("http://a:b@127.0.0.1:9/".into())),
    )
    .await;
    let f = with_hosts("127.0.0.1/32", &[("intranet.example", &["10.1.2.3"])]);

    assert_blocked(f.fetch(&outer.url("/meta")).await, "169.254.169.254");
    assert_blocked(f.fetch(&outer.url("/ten")).await, "10.0.0.1");
    assert_blocked(f.fetch(&outer.url("/name")).await, "10.1.2.3");
    assert_blocked(f.fetch(&outer.url("/inner")).await, "127.0.0.2");
    assert_blocked(f.fetch(&outer.url("/mapped")).await, "::ffff:127.0.0.2");
    assert!(matches!(
        f.fetch(&outer.url("/file")).await,
        Err(FetchError::Scheme(s)) if s == "file"
    ));
    assert!(matches!(
        f.fetch(&outer.url("/creds")).await,
        Err(FetchError::Credentials)
    ));
    assert_eq!(inner.hits(), 0);
    assert_eq!(outer.hits(), 7);
}

#[tokio::test]
async fn redirect_chain_within_allowed_hosts_is_followed() {
    let server = serve(
        [127, 0, 0, 1],
        Router::new()
            .route("/a", redirect_to("/b".into()))
            .route("/b", redirect_to("files/c".into()))
            .route("/files/c", get(|| async { Redirect::permanent("d.pdf") }))
            .route("/files/d.pdf", get(|| async { "document" })),
    )
    .await;
    let got = fetcher("127.0.0.1/32")
        .fetch(&server.url("/a"))
        .await
        .expect("fetch");
    assert_eq!(got.bytes, b"document");
    assert_eq!(got.final_url.as_str(), server.url("/files/d.pdf"));
    assert_eq!(got.filename_hint.as_deref(), Some("d.pdf"));
    assert_eq!(server.hits(), 4);
}

#[tokio::test]
async fn redirect_across_allowed_hosts_uses_each_hosts_vetted_address() {
    let target = serve(
        [127, 0, 0, 1],
        Router::new().route("/doc", get(|| async { "doc" })),
    )
    .await;
    let port = target.addr.port();
    let start = serve(
        [127, 0, 0, 1],
        Router::new().route(
            "/go",
            redirect_to(format!("http://files.example:{port}/doc")),
        ),
    )
    .await;
    let f = with_hosts("127.0.0.1/32", &[("files.example", &["127.0.0.1"])]);
    let got = f.fetch(&start.url("/go")).await.expect("fetch");
    assert_eq!(got.bytes, b"doc");
    assert_eq!(got.final_url.host_str(), Some("files.example"));
}

#[tokio::test]
async fn too_many_redirects() {
    let server = serve(
        [127, 0, 0, 1],
        Router::new().route("/loop", redirect_to("/loop".into())),
    )
    .await;
    let err = fetcher("127.0.0.1/32")
        .fetch(&server.url("/loop"))
        .await
        .expect_err("loop");
    assert!(
        matches!(err, FetchError::TooManyRedirects { limit: 3 }),
        "{err:?}"
    );
    assert_eq!(err.code(), "url_redirects");
    // The first request and the three redirects followed; the fourth is not.
    assert_eq!(server.hits(), 4);

    let none = Fetcher::new(FetchPolicy {
        max_redirects: 0,
        ..policy("127.0.0.1/32")
    });
    assert!(matches!(
        none.fetch(&server.url("/loop")).await,
        Err(FetchError::TooManyRedirects { limit: 0 })
    ));
}

// --- size, time, status ----------------------------------------------------------------------

/// One chunk, then a body that never ends: reading it would hang until the timeout.
fn endless_body() -> Body {
    let first = futures::stream::iter([Ok::<_, Infallible>(vec![b'x'; 100])]);
    Body::from_stream(first.chain(futures::stream::pending()))
}

#[tokio::test]
async fn declared_length_over_the_cap_is_refused_without_reading() {
    let server = serve(
        [127, 0, 0, 1],
        Router::new().route(
            "/big",
            get(|| async {
                Response::builder()
                    .header(header::CONTENT_LENGTH, "10000000")
                    .body(endless_body())
                    .expect("response")
            }),
        ),
    )
    .await;
    let f = Fetcher::new(FetchPolicy {
        max_bytes: 1024,
        ..policy("127.0.0.1/32")
    });
    let started = Instant::now();
    let err = f.fetch(&server.url("/big")).await.expect_err("too large");
    assert!(
        matches!(err, FetchError::TooLarge { limit: 1024 }),
        "{err:?}"
    );
    assert_eq!(err.code(), "url_too_large");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "it read the body"
    );
}

#[tokio::test]
async fn streamed_body_over_the_cap_is_refused() {
    let server = serve(
        [127, 0, 0, 1],
        Router::new()
            .route(
                "/chunked",
                get(|| async {
                    let chunks = (0..20).map(|_| Ok::<_, Infallible>(vec![b'y'; 1000]));
                    Body::from_stream(futures::stream::iter(chunks))
                }),
            )
            .route("/exact", get(|| async { vec![b'z'; 4096] })),
    )
    .await;
    let f = Fetcher::new(FetchPolicy {
        max_bytes: 4096,
        ..policy("127.0.0.1/32")
    });
    let err = f
        .fetch(&server.url("/chunked"))
        .await
        .expect_err("too large");
    assert!(
        matches!(err, FetchError::TooLarge { limit: 4096 }),
        "{err:?}"
    );
    let got = f
        .fetch(&server.url("/exact"))
        .await
        .expect("at the cap is fine");
    assert_eq!(got.bytes.len(), 4096);
}

#[tokio::test]
async fn slow_server_times_out() {
    let server = serve(
        [127, 0, 0, 1],
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    "late"
                }),
            )
            .route("/trickle", get(|| async { endless_body() })),
    )
    .await;
    let f = Fetcher::new(FetchPolicy {
        timeout: Duration::from_millis(300),
        ..policy("127.0.0.1/32")
    });
    for path in ["/slow", "/trickle"] {
        let started = Instant::now();
        let err = f.fetch(&server.url(path)).await.expect_err(path);
        assert!(matches!(err, FetchError::Timeout { .. }), "{path}: {err:?}");
        assert_eq!(err.code(), "url_timeout");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}

#[tokio::test]
async fn non_success_status_and_empty_body() {
    let server = serve(
        [127, 0, 0, 1],
        Router::new()
            .route("/empty", get(|| async { StatusCode::OK }))
            .route("/gone", get(|| async { StatusCode::GONE.into_response() }))
            .route("/bare-redirect", get(|| async { StatusCode::FOUND })),
    )
    .await;
    let f = fetcher("127.0.0.1/32");
    let err = f.fetch(&server.url("/missing")).await.expect_err("404");
    assert!(matches!(err, FetchError::Status(404)), "{err:?}");
    assert_eq!(err.code(), "url_status");
    assert!(matches!(
        f.fetch(&server.url("/gone")).await,
        Err(FetchError::Status(410))
    ));
    assert!(matches!(
        f.fetch(&server.url("/bare-redirect")).await,
        Err(FetchError::Status(302))
    ));
    let err = f.fetch(&server.url("/empty")).await.expect_err("empty");
    assert!(matches!(err, FetchError::Empty), "{err:?}");
    assert_eq!(err.code(), "url_empty");
}

#[tokio::test]
async fn connection_refused_and_unknown_names_are_connect_errors() {
    // Bind then drop to get a port with nothing listening.
    let port = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        l.local_addr().expect("addr").port()
    };
    let f = with_hosts("127.0.0.1/32", &[]);
    let err = f
        .fetch(&format!("http://127.0.0.1:{port}/"))
        .await
        .expect_err("refused");
    assert!(matches!(err, FetchError::Connect(_)), "{err:?}");
    assert_eq!(err.code(), "url_connect");
    let err = f
        .fetch("http://nowhere.example/")
        .await
        .expect_err("unknown");
    assert!(matches!(err, FetchError::Connect(_)), "{err:?}");
}

#[tokio::test]
async fn bad_allow_list_entry_is_a_clear_error() {
    let err = FetchPolicy::parse_allow_list("127.0.0.1/32, 10.0.0.0/33").expect_err("bad");
    assert_eq!(err.code(), "fetch_allow_list");
    assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
    assert!(FetchPolicy::parse_allow_list("https://minio:9000").is_err());
}

#[tokio::test]
async fn system_resolver_resolves_localhost() {
    let addrs = SystemResolver
        .resolve("localhost", 80)
        .await
        .expect("resolve");
    assert!(
        !addrs.is_empty() && addrs.iter().all(IpAddr::is_loopback),
        "{addrs:?}"
    );
}
