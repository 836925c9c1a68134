//! Workspaces, members, invitations and approval rules: `routes/workspaces.rs`.

use serde_json::{Map, Value, json};

use super::{
    Op, Operation, boolean, datetime, email, enumeration, name, nullable_format, object,
    object_with, page_of, schema_ref, string, uuid,
};

const ROLES: [&str; 4] = ["viewer", "clerk", "approver", "admin"];

fn amount() -> Value {
    json!({
        "type": ["string", "null"],
        "description": "A decimal amount as a string, e.g. \"5000.00\" (null: no limit)",
    })
}

fn workspace_id(op: Op) -> Op {
    op.path_id("id", "The workspace's id")
}

pub(super) fn operations() -> Vec<Operation> {
    vec![
        (
            "/api/v1/workspaces",
            "get",
            Op::new(
                "workspaces",
                "list_my_workspaces",
                "The caller's workspaces and their role in each",
            )
            .description(
                "Requests act in the workspace named by the `X-Workspace-Id` header, else in \
                 the caller's oldest membership (`current` here).",
            )
            .read()
            .ok(
                200,
                "Every membership of the caller",
                page_of(schema_ref("Membership")),
            )
            .caller()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/workspaces",
            "post",
            Op::new(
                "workspaces",
                "create_workspace",
                "Create a workspace (system administrators)",
            )
            .json_body(object_with(&["name"], json!({ "name": name() })))
            .ok(
                201,
                "The new workspace, the caller its administrator",
                schema_ref("Workspace"),
            )
            .link(201, "workspace_detail", "id", "/id")
            .caller()
            .json_rejections()
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/workspaces/{id}",
            "get",
            workspace_id(Op::new(
                "workspaces",
                "workspace_detail",
                "A workspace and its rules",
            ))
            .read()
            .ok(200, "The workspace", schema_ref("Workspace"))
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/workspaces/{id}",
            "patch",
            workspace_id(Op::new(
                "workspaces",
                "update_workspace",
                "Rename a workspace or replace its approval rules (its administrators)",
            ))
            .json_body(object_with(
                &[],
                json!({
                    "name": name(),
                    "approval_rules": schema_ref("ApprovalRules"),
                }),
            ))
            .ok(200, "The workspace", schema_ref("Workspace"))
            .caller()
            .json_rejections()
            .problems(&[404])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/workspaces/{id}/members",
            "get",
            workspace_id(Op::new(
                "workspaces",
                "list_members",
                "A workspace's members",
            ))
            .read()
            .ok(200, "Every member", page_of(schema_ref("Membership")))
            .caller()
            .problems(&[400, 404])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/workspaces/{id}/members/{user_id}",
            "put",
            workspace_id(Op::new(
                "workspaces",
                "set_member",
                "Add a user to a workspace, or change a member's role and approval limit",
            ))
            .path_id("user_id", "The user's id")
            .json_body(object_with(
                &["role"],
                json!({ "role": enumeration(&ROLES), "approval_limit": amount() }),
            ))
            .ok(200, "The membership", schema_ref("Membership"))
            .description("409: the change would leave the workspace without an administrator.")
            .caller()
            .json_rejections()
            .problems(&[404, 409])
            .store_errors()
            .build(),
        ),
        (
            "/api/v1/workspaces/{id}/members/{user_id}",
            "delete",
            workspace_id(Op::new("workspaces", "remove_member", "Remove a member"))
                .path_id("user_id", "The user's id")
                .empty(204, "Removed; their uploads stay in the workspace")
                .description("409: the last administrator cannot be removed.")
                .caller()
                .problems(&[400, 404, 409])
                .store_errors()
                .build(),
        ),
        (
            "/api/v1/workspaces/{id}/invitations",
            "post",
            workspace_id(Op::new(
                "workspaces",
                "invite_member",
                "An access code that signs a new user up as a member",
            ))
            .json_body(object_with(
                &["role"],
                json!({
                    "role": enumeration(&ROLES),
                    "approval_limit": amount(),
                    "note": { "type": "string", "maxLength": 500 },
                    "expires_in_days": { "type": "integer", "minimum": 1, "maximum": 365 },
                }),
            ))
            .ok(
                201,
                "The code, shown once, and the link to pass on",
                json!({ "allOf": [
                    schema_ref("NewAccessCode"),
                    object(
                        "The registration link carrying the code.",
                        json!({ "register_url": string() }),
                    ),
                ] }),
            )
            .caller()
            .json_rejections()
            .problems(&[404])
            .store_errors()
            .build(),
        ),
    ]
}

pub(super) fn schemas() -> Map<String, Value> {
    let mut all = Map::new();
    all.insert(
        "Membership".into(),
        object(
            "A user's place in a workspace.",
            json!({
                "workspace_id": uuid(),
                "workspace_name": string(),
                "user_id": uuid(),
                "email": email(),
                "display_name": string(),
                "role": enumeration(&ROLES),
                "approval_limit": amount(),
                "current": {
                    "type": "boolean",
                    "description": "Whether requests without X-Workspace-Id act in this workspace",
                },
                "joined_at": datetime(),
            }),
        ),
    );
    all.insert(
        "Workspace".into(),
        object(
            "A team: invoices, jobs, files and companies belong to one.",
            json!({
                "id": uuid(),
                "name": string(),
                "approval_rules": schema_ref("ApprovalRules"),
                "your_role": enumeration(&ROLES),
                "created_by": nullable_format("string", "uuid"),
                "created_at": datetime(),
                "updated_at": datetime(),
            }),
        ),
    );
    all.insert(
        "ApprovalRules".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "description": "How many people approve an invoice and when the pipeline approves one by itself.",
            "properties": {
                "second_approval_above": {
                    "type": "string",
                    "description": "Above this gross amount: two approvals by two people, neither the uploader",
                },
                "auto_approve": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["min_confidence"],
                    "properties": {
                        "min_confidence": { "type": "number", "minimum": 0, "maximum": 1 },
                        "max_gross": { "type": "string" },
                        "known_vendor_only": boolean(),
                    },
                },
                "vendors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["vendor"],
                        "properties": {
                            "vendor": { "type": "string", "description": "VAT id or name" },
                            "approvals": { "type": "integer", "minimum": 1, "maximum": 2 },
                            "never_auto_approve": boolean(),
                        },
                    },
                },
            },
        }),
    );
    all
}
