//! The OpenAPI document: well-formed 3.1, every served route documented (and nothing else),
//! every error a problem, Swagger UI served. Whether real answers match the schemas is
//! checked by schemathesis in `scripts/test.sh`.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::spawn_app;

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

async fn fetch_document() -> Value {
    let app = spawn_app().await;
    let resp = app.get(doxin_server::openapi::SPEC_PATH).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("content type")
            .starts_with("application/json")
    );
    resp.json().await.expect("json")
}

/// Every `.route("<path>", <method router>)` in the server's sources, with the methods of the
/// method router: read from the files at test time, so a route added anywhere under `src/`
/// (but the monitor's) without documentation fails [`every_route_is_documented`].
fn routes_in_sources() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    collect_rs(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 5, "no sources found");
    let mut found = BTreeSet::new();
    // The worker monitor (`src/monitor/`) is its own server on its own port (`doxin monitor`),
    // documented in the README rather than in the API's document.
    let monitor = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("monitor");
    // The web interface's pages (`src/web/`) are HTML for browsers, not API operations.
    let web = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("web");
    for file in files
        .into_iter()
        .filter(|f| !f.starts_with(&monitor) && !f.starts_with(&web))
    {
        let text = std::fs::read_to_string(&file).expect("read source");
        // Comments may show `.route(` examples; only code counts.
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (path, methods) in parse_routes(&code) {
            assert!(
                !methods.is_empty(),
                "{}: no method found for route {path}",
                file.display()
            );
            for m in methods {
                found.insert((path.clone(), m));
            }
        }
    }
    found
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(path, methods)` of each `.route(` call in `code`.
fn parse_routes(code: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let args = rest.trim_start();
        let Some(after_quote) = args.strip_prefix('"') else {
            panic!(
                "a .route( call whose path is not a string literal: {:.60}",
                args
            );
        };
        let end = after_quote.find('"').expect("closing quote");
        let path = after_quote[..end].to_string();
        // The call's arguments run to the parenthesis that closes `.route(`.
        let mut depth = 1usize;
        let mut close = args.len();
        for (i, c) in args.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let call = &args[..close];
        let mut methods = Vec::new();
        for m in METHODS {
            let needle = format!("{m}(");
            let mut from = 0;
            while let Some(pos) = call[from..].find(&needle) {
                let start = from + pos;
                let before = call[..start].chars().next_back();
                if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
                    methods.push(m.to_string());
                }
                from = start + needle.len();
            }
        }
        out.push((path, methods));
    }
    out
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            assert!(METHODS.contains(&method.as_str()), "{path}: {method}");
            out.insert((path.clone(), method.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_route_is_documented_and_nothing_else() {
    let doc = fetch_document().await;
    let mut served = routes_in_sources();
    // The parser must see the routes it is meant to see.
    for known in [
        ("/api/v1/auth/api-tokens", "post"),
        ("/api/v1/auth/api-tokens", "get"),
        ("/api/v1/invoices/upload", "post"),
        ("/metrics", "get"),
        ("/ws", "get"),
    ] {
        assert!(
            served.contains(&(known.0.to_string(), known.1.to_string())),
            "parser missed {known:?}"
        );
    }
    // Served by Swagger UI's router rather than a `.route(` of ours.
    served.insert((doxin_server::openapi::SPEC_PATH.into(), "get".into()));
    served.insert((doxin_server::openapi::DOCS_PATH.into(), "get".into()));
    let documented = documented(&doc);
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let invented: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the OpenAPI document (add them under src/openapi/): {undocumented:?}"
    );
    assert!(
        invented.is_empty(),
        "documented but not served: {invented:?}"
    );
}

/// Every `$ref` in `v`, with where it was found.
fn refs<'a>(v: &'a Value, at: &str, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if k == "$ref"
                    && let Some(r) = child.as_str()
                {
                    out.push((at.to_string(), r));
                }
                refs(child, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                refs(child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_well_formed_openapi_3_1() {
    let doc = fetch_document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "DoxIn API");
    assert!(doc["info"]["version"].is_string());
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "doxin_session");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
    assert_eq!(schemes["webhookSecret"]["scheme"], "bearer");
    assert_eq!(
        doc["paths"]["/api/v1/admin/alerts/webhook"]["post"]["security"],
        json!([{ "webhookSecret": [] }]),
        "the alert webhook takes the shared secret, not a user's credential"
    );
    let problem = &doc["components"]["schemas"]["Problem"];
    for field in ["type", "title", "status", "detail", "code"] {
        assert!(
            problem["required"]
                .as_array()
                .expect("required")
                .contains(&Value::from(field)),
            "Problem.{field}"
        );
    }

    let mut refs_found = Vec::new();
    refs(&doc, "#", &mut refs_found);
    assert!(!refs_found.is_empty());
    for (at, r) in refs_found {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: external $ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "{at}: dangling $ref {r}");
    }

    let mut ids = HashSet::new();
    let mut link_targets = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let params_in_path: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (method, op) in item.as_object().expect("path item") {
            let here = format!("{method} {path}");
            let id = op["operationId"].as_str().expect("operationId");
            assert!(
                ids.insert(id.to_string()),
                "{here}: duplicate operationId {id}"
            );
            assert!(op["summary"].is_string(), "{here}: summary");
            assert!(op["tags"].is_array(), "{here}: tags");
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(declared, params_in_path, "{here}: path parameters");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses
                    .keys()
                    .any(|s| s.starts_with('1') || s.starts_with('2') || s.starts_with('3')),
                "{here}: no success response"
            );
            for (status, resp) in responses {
                let code: u16 = status
                    .parse()
                    .unwrap_or_else(|_| panic!("{here}: {status}"));
                assert!(resp["description"].is_string(), "{here} {status}");
                if let Some(links) = resp["links"].as_object() {
                    for link in links.values() {
                        let target = link["operationId"].as_str().expect("link operationId");
                        link_targets.push((here.clone(), target.to_string()));
                    }
                }
                // Health answers 503 with its own JSON body; every other error is a problem.
                if code >= 400 && !path.starts_with("/api/v1/health") {
                    assert_eq!(
                        resp["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{here} {status}: errors are problems"
                    );
                }
            }
            // A route that needs a credential answers 401 without one.
            let security = op["security"].as_array();
            let public = security.is_some_and(|s| s.is_empty() || s.contains(&json!({})));
            assert!(
                public || responses.contains_key("401"),
                "{here}: needs a credential but documents no 401"
            );
        }
    }
    for (from, target) in link_targets {
        assert!(
            ids.contains(&target),
            "{from}: link to unknown operation {target}"
        );
    }
}

#[tokio::test]
async fn swagger_ui_is_served() {
    let app = spawn_app().await;
    let resp = app.get("/api/docs").await;
    assert!(resp.status().is_redirection(), "{}", resp.status());
    assert_eq!(resp.headers()["location"], "/api/docs/");
    let resp = app.get("/api/docs/").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("content type")
            .starts_with("text/html")
    );
    let html = resp.text().await.expect("body");
    assert!(html.contains("swagger-ui"), "{html:.300}");
    // The UI's initialiser points at our document.
    let init = app.get("/api/docs/swagger-initializer.js").await;
    assert_eq!(init.status(), 200);
    let js = init.text().await.expect("body");
    assert!(js.contains(doxin_server::openapi::SPEC_PATH), "{js:.500}");
}

#[test]
fn the_route_parser_reads_paths_and_methods() {
    let code = r#"
        Router::new()
            .route("/a/{id}", get(one).delete(gone))
            .route(
                "/b",
                post(upload).layer(DefaultBodyLimit::max(limit)),
            )
            .route("/c", routing::put(c))
    "#;
    let parsed = parse_routes(code);
    assert_eq!(
        parsed,
        vec![
            (
                "/a/{id}".to_string(),
                vec!["get".to_string(), "delete".to_string()]
            ),
            ("/b".to_string(), vec!["post".to_string()]),
            ("/c".to_string(), vec!["put".to_string()]),
        ]
    );
}
