//! Accounts: `routes/auth.rs`.

use serde_json::{Map, Value, json};

use super::{
    Op, Operation, boolean, datetime, email, enumeration, integer, name, name_or_null, nullable,
    nullable_format, object, object_with, schema_ref, string, uuid,
};

fn credentials() -> Value {
    object_with(
        &["email", "password"],
        json!({ "email": string(), "password": string() }),
    )
}

fn user_envelope() -> Value {
    object("The account.", json!({ "user": schema_ref("User") }))
}

pub(super) fn operations() -> Vec<Operation> {
    // The routes where passwords and codes get guessed answer 429 past the per-address limit.
    let limited = [429];
    vec![
        (
            "/api/v1/auth/register",
            "post",
            Op::new("auth", "register", "Sign up")
                .description(
                    "Needs an access code unless open sign-up is configured. A password that \
                     breaks the policy answers 422 `weak_password` with the reason: fewer than \
                     10 characters, only white space, fewer than 5 different characters, one \
                     of the most common passwords, or containing the e-mail address or its \
                     name part.",
                )
                .public()
                .json_body(object_with(
                    &["email", "password"],
                    json!({
                        "email": email(),
                        "password": string(),
                        "display_name": name_or_null(),
                        "access_code": nullable("string"),
                    }),
                ))
                .ok(201, "Signed up", user_envelope())
                .problems(&[403, 409])
                .problems(&limited)
                .json_rejections()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/auth/login",
            "post",
            Op::new(
                "auth",
                "login",
                "Sign in: a session cookie and its CSRF token",
            )
            .public()
            .json_body(credentials())
            .response(
                200,
                json!({
                    "description": "Signed in; `Set-Cookie` carries `doxin_session` \
                        (HttpOnly unless configured otherwise) and `doxin_csrf`",
                    "content": { "application/json": { "schema": object(
                        "The session.",
                        json!({
                            "user": schema_ref("User"),
                            "csrf_token": string(),
                            "expires_at": datetime(),
                        }),
                    ) } },
                }),
            )
            .problems(&[401, 403])
            .problems(&limited)
            .json_rejections()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/auth/logout",
            "post",
            Op::new(
                "auth",
                "logout",
                "Sign out (ends the session; clears the cookies)",
            )
            .empty(204, "Signed out")
            .caller()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/auth/logout-everywhere",
            "post",
            Op::new(
                "auth",
                "logout_everywhere",
                "Sign out everywhere (ends every session of the caller; clears the cookies)",
            )
            .description(
                "Ends every browser session of the caller, this one included, and is audited \
                 as `auth.logout_everywhere` with the number of sessions ended. API tokens are \
                 not revoked (revoke them one by one); JWTs end at their expiry.",
            )
            .empty(204, "Every session ended")
            .caller()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/auth/me",
            "get",
            Op::new("auth", "me", "The signed-in user")
                .read()
                .ok(200, "The caller", schema_ref("User"))
                .caller()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/auth/change-password",
            "post",
            Op::new("auth", "change_password", "Change the password")
                .description(
                    "Signs out every other session and revokes the caller's API tokens and \
                     every JWT issued before. A wrong current password answers 403; a new \
                     password that breaks the policy (see sign-up) 422 `weak_password`.",
                )
                .json_body(object_with(
                    &["current_password", "new_password"],
                    json!({ "current_password": string(), "new_password": string() }),
                ))
                .empty(204, "Changed")
                .caller()
                .problems(&limited)
                .json_rejections()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/auth/jwt-token",
            "post",
            Op::new("auth", "jwt_token", "A 15-minute JWT")
                .description(
                    "For the caller when signed in with a session or an API token; otherwise \
                     for the e-mail address and password in the body (rate limited). A JWT \
                     cannot get another (403 `credential_not_allowed`). Tokens live 15 \
                     minutes and end when the password changes; a JWT whose lifetime exceeds \
                     15 minutes is refused.",
                )
                .optional_auth()
                .body("application/json", credentials(), false)
                .ok(
                    200,
                    "A JWT",
                    object(
                        "A bearer token.",
                        json!({
                            "access_token": string(),
                            "token_type": enumeration(&["Bearer"]),
                            "expires_in": integer(),
                            "expires_at": datetime(),
                        }),
                    ),
                )
                .caller()
                .problems(&limited)
                .json_rejections()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/auth/api-tokens",
            "get",
            Op::new("auth", "list_api_tokens", "The caller's API tokens")
                .read()
                .ok(
                    200,
                    "Tokens, revoked and expired ones included",
                    object(
                        "The tokens.",
                        json!({ "items": { "type": "array", "items": schema_ref("ApiToken") } }),
                    ),
                )
                .caller()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/auth/api-tokens",
            "post",
            Op::new("auth", "create_api_token", "Create a personal API token")
                .description(
                    "With a session or an API token; a JWT cannot create one (403 \
                     `credential_not_allowed`). Changing the password revokes every token.",
                )
                .json_body(object_with(
                    &["name"],
                    json!({
                        "name": name(),
                        "expires_in_days": {
                            "type": ["integer", "null"], "minimum": 1, "maximum": 3650,
                        },
                    }),
                ))
                .ok(
                    201,
                    "Created; `token` is shown this once",
                    schema_ref("NewApiToken"),
                )
                .link(201, "revoke_api_token", "id", "/id")
                .caller()
                .json_rejections()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/auth/api-tokens/{id}",
            "delete",
            Op::new(
                "auth",
                "revoke_api_token",
                "Revoke one of the caller's API tokens",
            )
            .path_id("id", "The token's id")
            .empty(204, "Revoked (again: still 204)")
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/auth/track-login",
            "post",
            Op::new("auth", "track_login", "Record a sign-in now")
                .ok(
                    200,
                    "Recorded",
                    object("When.", json!({ "last_login_at": datetime() })),
                )
                .caller()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/auth/session-info",
            "get",
            Op::new("auth", "session_info", "How the caller is signed in")
                .read()
                .ok(
                    200,
                    "The credential",
                    object(
                        "The caller and the credential used.",
                        json!({
                            "authenticated": { "type": "boolean", "const": true },
                            "user": schema_ref("User"),
                            "credential": enumeration(&["session", "jwt", "api_token"]),
                            "expires_at": nullable_format("string", "date-time"),
                            "csrf_token": nullable("string"),
                        }),
                    ),
                )
                .caller()
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/auth/validate-access-code",
            "post",
            Op::new(
                "auth",
                "validate_access_code",
                "Whether an access code can be used",
            )
            .public()
            .json_body(object_with(&["code"], json!({ "code": string() })))
            .ok(
                200,
                "The answer",
                object("Usable?", json!({ "valid": boolean() })),
            )
            .problems(&limited)
            .json_rejections()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/auth/access-requests",
            "post",
            Op::new(
                "auth",
                "request_access",
                "Ask an administrator for an account",
            )
            .public()
            .json_body(object_with(
                &["email", "name"],
                json!({
                    "email": email(),
                    "name": name(),
                    "message": nullable("string"),
                }),
            ))
            .ok(
                202,
                "Recorded for an administrator to decide",
                object(
                    "The request.",
                    json!({
                        "id": uuid(),
                        "status": enumeration(&["pending", "approved", "rejected"]),
                    }),
                ),
            )
            .link(202, "approve_access_request", "id", "/id")
            .link(202, "reject_access_request", "id", "/id")
            .problems(&limited)
            .json_rejections()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/auth/setup-status",
            "get",
            Op::new(
                "auth",
                "setup_status",
                "Whether first-run setup is still needed",
            )
            .public()
            .ok(
                200,
                "The answer",
                object("No user yet?", json!({ "setup_required": boolean() })),
            )
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/auth/setup",
            "post",
            Op::new("auth", "setup", "Create the first administrator")
                .description(
                    "Only while no user exists (else 409), with the one-time token \
                     `doxin serve` logs (else 403). The password policy of sign-up applies \
                     (422 `weak_password`).",
                )
                .public()
                .json_body(object_with(
                    &["setup_token", "email", "password"],
                    json!({
                        "setup_token": string(),
                        "email": email(),
                        "password": string(),
                        "display_name": nullable("string"),
                    }),
                ))
                .ok(201, "The administrator", user_envelope())
                .problems(&[403, 409])
                .problems(&limited)
                .json_rejections()
                .store_errors()
                .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let token = json!({
        "id": uuid(),
        "name": string(),
        "prefix": { "type": "string", "description": "The token's first characters" },
        "created_at": datetime(),
        "expires_at": nullable_format("string", "date-time"),
        "last_used_at": nullable_format("string", "date-time"),
        "revoked_at": nullable_format("string", "date-time"),
    });
    let mut with_secret = token.clone();
    with_secret["token"] = json!({ "type": "string", "description": "`dxn_…`, shown once" });
    let mut m = Map::new();
    m.insert(
        "User".into(),
        object(
            "An account (never its password hash).",
            json!({
                "id": uuid(),
                "email": string(),
                "display_name": string(),
                "role": enumeration(&["user", "admin"]),
                "is_active": boolean(),
                "created_at": datetime(),
                "last_login_at": nullable_format("string", "date-time"),
            }),
        ),
    );
    m.insert("ApiToken".into(), object("A personal API token.", token));
    m.insert(
        "NewApiToken".into(),
        object("A new API token with its secret.", with_secret),
    );
    m
}
