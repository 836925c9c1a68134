//! Administrators' access codes and access requests: `routes/access.rs`.

use serde_json::{Map, Value, json};

use super::{
    Op, Operation, datetime, enumeration, nullable, nullable_format, object, page_of, schema_ref,
    string, uuid,
};

pub(super) fn operations() -> Vec<Operation> {
    vec![
        (
            "/api/v1/admin/access-codes",
            "get",
            Op::new("admin", "list_access_codes", "Access codes, newest first")
                .read()
                .paged()
                .ok(200, "A page of codes", page_of(schema_ref("AccessCode")))
                .caller()
                .problems(&[400])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/admin/access-codes",
            "post",
            Op::new(
                "admin",
                "create_access_codes",
                "Mint single-use access codes",
            )
            .json_body(json!({
                "type": "object",
                "properties": {
                    "expires_in_days": {
                        "type": ["integer", "null"], "minimum": 1, "maximum": 365,
                        "description": "Default: the configured ACCESS_CODE_TTL_DAYS",
                    },
                    "note": nullable("string"),
                    "count": {
                        "type": ["integer", "null"], "minimum": 1, "maximum": 100,
                        "description": "How many codes (default 1)",
                    },
                },
            }))
            .ok(
                201,
                "The codes, each shown this once in `code`",
                object(
                    "Minted codes.",
                    json!({ "items": {
                            "type": "array",
                            "items": schema_ref("NewAccessCode"),
                        } }),
                ),
            )
            .link(201, "revoke_access_code", "id", "/items/0/id")
            .caller()
            .json_rejections()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/admin/access-codes/{id}",
            "delete",
            Op::new("admin", "revoke_access_code", "Revoke an access code")
                .path_id("id", "The code's id")
                .ok(
                    200,
                    "The revoked code (revoking again changes nothing)",
                    schema_ref("AccessCode"),
                )
                .caller()
                .problems(&[400, 404])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/admin/access-requests",
            "get",
            Op::new(
                "admin",
                "list_access_requests",
                "Access requests, newest first",
            )
            .read()
            .paged()
            .query(
                "status",
                "Only requests in this state (default: all)",
                enumeration(&["pending", "approved", "rejected", "all"]),
            )
            .ok(
                200,
                "A page of requests",
                page_of(schema_ref("AccessRequest")),
            )
            .caller()
            .problems(&[400])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/admin/access-requests/{id}/approve",
            "post",
            Op::new(
                "admin",
                "approve_access_request",
                "Approve: mint a code and a link",
            )
            .description("DoxIn sends no e-mail yet: the invitation link is returned to pass on.")
            .path_id("id", "The request's id")
            .ok(
                200,
                "Approved",
                object(
                    "The request, its new code and the sign-up link.",
                    json!({
                        "request": schema_ref("AccessRequest"),
                        "access_code": string(),
                        "invitation_link": string(),
                        "emailed": { "type": "boolean", "const": false },
                    }),
                ),
            )
            .caller()
            .problems(&[400, 404, 409])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/admin/access-requests/{id}/reject",
            "post",
            Op::new("admin", "reject_access_request", "Reject an access request")
                .path_id("id", "The request's id")
                .body(
                    "application/json",
                    object(
                        "Optionally, why (kept in the audit log with the decision).",
                        json!({ "reason": nullable("string") }),
                    ),
                    false,
                )
                .ok(
                    200,
                    "Rejected",
                    object(
                        "The decided request and the reason given.",
                        json!({
                            "request": schema_ref("AccessRequest"),
                            "reason": nullable("string"),
                        }),
                    ),
                )
                .caller()
                .problems(&[400, 404, 409])
                .store_errors()
                .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let code = json!({
        "id": uuid(),
        "hint": { "type": "string", "description": "The code's first characters" },
        "note": nullable("string"),
        "state": enumeration(&["active", "used", "revoked", "expired"]),
        "created_by": nullable_format("string", "uuid"),
        "created_at": datetime(),
        "expires_at": datetime(),
        "used_at": nullable_format("string", "date-time"),
        "used_by": nullable_format("string", "uuid"),
        "revoked_at": nullable_format("string", "date-time"),
        "grant": {
            "description": "The workspace membership the code grants (null: a workspace of the new user's own)",
            "oneOf": [
                { "type": "null" },
                object(
                    "An invitation into a workspace.",
                    json!({
                        "workspace_id": uuid(),
                        "role": enumeration(&["viewer", "clerk", "approver", "admin"]),
                        "approval_limit": nullable("string"),
                    }),
                ),
            ],
        },
    });
    let mut with_code = code.clone();
    with_code["code"] = json!({ "type": "string", "description": "The code, shown once" });
    let mut m = Map::new();
    m.insert(
        "AccessCode".into(),
        object("A single-use sign-up code.", code),
    );
    m.insert(
        "NewAccessCode".into(),
        object("A new access code with its secret.", with_code),
    );
    m.insert(
        "AccessRequest".into(),
        object(
            "Someone without a code asking for an account.",
            json!({
                "id": uuid(),
                "email": string(),
                "name": string(),
                "message": nullable("string"),
                "status": enumeration(&["pending", "approved", "rejected"]),
                "created_at": datetime(),
                "decided_at": nullable_format("string", "date-time"),
                "decided_by": nullable_format("string", "uuid"),
                "access_code_id": nullable_format("string", "uuid"),
            }),
        ),
    );
    m
}
