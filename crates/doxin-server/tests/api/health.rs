use serde_json::Value;

use crate::helpers::{SpawnOptions, spawn_app, spawn_app_with};

#[tokio::test]
async fn liveness_answers_on_both_paths() {
    let app = spawn_app().await;
    for path in ["/api/health", "/api/v1/health"] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["status"], "healthy");
        assert_eq!(body["service"], "doxin");
        assert_eq!(body["version"], "test-version");
    }
}

/// Health details are for administrators.
async fn admin_get(app: &crate::helpers::TestApp, path: &str) -> reqwest::Response {
    let admin = app
        .create_user(
            &format!("admin-{}@example.com", uuid::Uuid::new_v4().simple()),
            true,
        )
        .await;
    app.req(reqwest::Method::GET, path, Some(&admin))
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn database_health_reports_the_backend() {
    let app = spawn_app().await;
    let resp = admin_get(&app, "/api/v1/health/database").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["database"]["status"], "up");
    assert_eq!(body["database"]["backend"], "sqlite");
}

#[tokio::test]
async fn detailed_health_lists_every_component() {
    let app = spawn_app().await;
    let resp = app.get("/api/v1/health/detailed").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "healthy");
    let c = &body["components"];
    assert_eq!(c["database"]["status"], "up");
    assert_eq!(c["storage"]["status"], "up");
    assert_eq!(c["redis"]["status"], "not_configured");
}

#[tokio::test]
async fn detailed_health_is_503_when_configured_redis_is_down() {
    // Nothing listens on port 1.
    let app = spawn_app_with(SpawnOptions {
        redis_url: Some("redis://127.0.0.1:1".into()),
        ..Default::default()
    })
    .await;
    let resp = app.get("/api/v1/health/detailed").await;
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["components"]["redis"]["status"], "down");
    assert_eq!(body["components"]["database"]["status"], "up");
}

#[tokio::test]
async fn detailed_health_reports_a_live_redis() {
    let Ok(url) = std::env::var("DOXIN_TEST_REDIS_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "DOXIN_TEST_REDIS_URL must be set in CI"
        );
        return;
    };
    let app = spawn_app_with(SpawnOptions {
        redis_url: Some(url),
        ..Default::default()
    })
    .await;
    let resp = admin_get(&app, "/api/v1/health/detailed").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["components"]["redis"]["status"], "up");
    assert!(
        body["components"]["redis"]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with('7') || v.starts_with('8'))
    );
}

#[tokio::test]
async fn request_ids_are_generated_or_propagated() {
    let app = spawn_app().await;
    let resp = app.get("/api/health").await;
    let generated = resp.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let resp = app
        .client
        .get(app.url("/api/health"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn unknown_routes_are_problem_details() {
    let app = spawn_app().await;
    let resp = app.get("/api/v1/nope").await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], 404);
    assert_eq!(body["code"], "not_found");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/api/v1/nope"))
    );
}

/// PostgreSQL goes away under a running server: health says 503, and says 200 again when
/// it is back, without a restart.
#[tokio::test]
async fn database_outage_is_503_and_recovers() {
    let Ok(admin) = std::env::var("DOXIN_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "DOXIN_TEST_DATABASE_URL must be set in CI"
        );
        return;
    };
    use sqlx::{AssertSqlSafe, Connection};
    let name = format!("doxin_health_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("admin");
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create");
    let mut url = url::Url::parse(&admin).expect("url");
    url.set_path(&name);
    let app = spawn_app_with(SpawnOptions {
        redis_url: None,
        database_url: Some(url.to_string()),
        ..Default::default()
    })
    .await;
    let body: Value = admin_get(&app, "/api/v1/health/detailed")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["components"]["database"]["backend"], "postgres");
    assert!(
        body["components"]["database"]["pgvector_version"]
            .as_str()
            .is_some(),
        "{body}"
    );

    // Block new connections and cut the existing ones: the database is "down".
    sqlx::query(AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false"
    )))
    .execute(&mut conn)
    .await
    .expect("block");
    sqlx::query(AssertSqlSafe(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    )))
    .execute(&mut conn)
    .await
    .expect("terminate");
    assert_eq!(app.get("/api/v1/health/database").await.status(), 503);
    assert_eq!(app.get("/api/v1/health/detailed").await.status(), 503);

    sqlx::query(AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true"
    )))
    .execute(&mut conn)
    .await
    .expect("unblock");
    assert_eq!(app.get("/api/v1/health/database").await.status(), 200);

    drop(app);
    let _ = sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
}
