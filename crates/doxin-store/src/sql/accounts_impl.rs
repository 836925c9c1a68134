// The `AccountStore` implementation shared by both SQL backends, included after
// `store_impl.rs` (it uses the same dialect helpers; see the top of that file).

fn session_from_row(row: &DbRow) -> Result<Session> {
    Ok(Session {
        token_hash: row.try_get("token_hash")?,
        user_id: col_id(row, "user_id")?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: col_ts(row, "created_at")?,
        expires_at: col_ts(row, "expires_at")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
    })
}

fn api_token_from_row(row: &DbRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: col_id(row, "id")?,
        user_id: col_id(row, "user_id")?,
        name: row.try_get("name")?,
        token_hash: row.try_get("token_hash")?,
        prefix: row.try_get("prefix")?,
        created_at: col_ts(row, "created_at")?,
        expires_at: col_opt_ts(row, "expires_at")?,
        last_used_at: col_opt_ts(row, "last_used_at")?,
        revoked_at: col_opt_ts(row, "revoked_at")?,
    })
}

fn access_code_from_row(row: &DbRow) -> Result<AccessCode> {
    Ok(AccessCode {
        id: col_id(row, "id")?,
        code_hash: row.try_get("code_hash")?,
        hint: row.try_get("hint")?,
        note: row.try_get("note")?,
        created_by: col_opt_id(row, "created_by")?,
        created_at: col_ts(row, "created_at")?,
        expires_at: col_ts(row, "expires_at")?,
        used_at: col_opt_ts(row, "used_at")?,
        used_by: col_opt_id(row, "used_by")?,
        revoked_at: col_opt_ts(row, "revoked_at")?,
        grant: grant_from_row(row)?,
    })
}

/// The membership an access code row grants, if any.
fn grant_from_row(row: &DbRow) -> Result<Option<WorkspaceGrant>> {
    let Some(workspace_id) = col_opt_id(row, "workspace_id")? else {
        return Ok(None);
    };
    let role: Option<String> = row.try_get("role")?;
    let role = role.as_deref().unwrap_or("clerk");
    Ok(Some(WorkspaceGrant {
        workspace_id,
        role: WorkspaceRole::parse(role)
            .ok_or_else(|| StoreError::Corrupt(format!("access code role {role}")))?,
        approval_limit: col_opt_dec(row, "approval_limit")?,
    }))
}

fn access_request_from_row(row: &DbRow) -> Result<AccessRequest> {
    let status: String = row.try_get("status")?;
    Ok(AccessRequest {
        id: col_id(row, "id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        message: row.try_get("message")?,
        status: AccessRequestStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("access request status {status}")))?,
        created_at: col_ts(row, "created_at")?,
        decided_at: col_opt_ts(row, "decided_at")?,
        decided_by: col_opt_id(row, "decided_by")?,
        access_code_id: col_opt_id(row, "access_code_id")?,
    })
}

#[async_trait]
impl AccountStore for ThisStore {
    async fn create_user_with_code(
        &self,
        new: NewUser,
        access_code_hash: Option<&str>,
    ) -> Result<User> {
        let now = Utc::now();
        let id = new_id();
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        // Redeem first: the conditional UPDATE is what makes a code single-use under races
        // (the second sign-up finds `used_at` set and matches no row).
        let (code_id, grant) = match access_code_hash {
            Some(hash) => {
                let row = query(
                    "UPDATE access_codes SET used_at = $2 WHERE code_hash = $1 \
                     AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
                     RETURNING id, workspace_id, role, approval_limit",
                    vec![hash.into(), now.into()],
                )
                .fetch_optional(&mut *tx)
                .await?;
                match row {
                    Some(row) => (Some(col_id(&row, "id")?), grant_from_row(&row)?),
                    None => {
                        return Err(StoreError::InvalidState(
                            "the access code is unknown, used, revoked or expired".into(),
                        ));
                    }
                }
            }
            None => (None, None),
        };
        let display_name = new.display_name.clone();
        let row = query(
            "INSERT INTO users (id, email, display_name, password_hash, role, is_active, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *",
            vec![
                id.into(),
                new.email.trim().to_lowercase().into(),
                new.display_name.into(),
                new.password_hash.into(),
                new.role.as_str().into(),
                true.into(),
                now.into(),
            ],
        )
        .fetch_one(&mut *tx)
        .await?;
        if let Some(code_id) = code_id {
            query(
                "UPDATE access_codes SET used_by = $2 WHERE id = $1",
                vec![code_id.into(), id.into()],
            )
            .execute(&mut *tx)
            .await?;
        }
        // An invitation makes the user a member of its workspace; anyone else gets a
        // workspace of their own, with their id (as the migration gave existing users).
        let (workspace_id, role, limit) = match grant {
            Some(g) => (g.workspace_id, g.role, g.approval_limit),
            None => {
                query(
                    "INSERT INTO workspaces (id, name, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $1, $3, $3)",
                    vec![id.into(), display_name.into(), now.into()],
                )
                .execute(&mut *tx)
                .await?;
                (id, WorkspaceRole::Admin, None)
            }
        };
        query(
            "INSERT INTO memberships (workspace_id, user_id, role, approval_limit, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
            vec![
                workspace_id.into(),
                id.into(),
                role.as_str().into(),
                limit.into(),
                now.into(),
            ],
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        user_from_row(&row)
    }

    async fn create_session(&self, new: NewSession) -> Result<Session> {
        let row = query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, ip, \
             user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
            vec![
                new.token_hash.into(),
                new.user_id.into(),
                new.csrf_token.into(),
                Utc::now().into(),
                new.expires_at.into(),
                new.ip.into(),
                new.user_agent.into(),
            ],
        )
        .fetch_one(&self.pool)
        .await?;
        session_from_row(&row)
    }

    async fn get_session(&self, token_hash: &str) -> Result<Session> {
        let row = query(
            "SELECT * FROM sessions WHERE token_hash = $1 AND expires_at > $2",
            vec![token_hash.into(), Utc::now().into()],
        )
        .fetch_one(&self.pool)
        .await?;
        session_from_row(&row)
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        query("DELETE FROM sessions WHERE token_hash = $1", vec![token_hash.into()])
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_user_sessions(&self, user_id: Uuid, keep: Option<&str>) -> Result<u64> {
        let done = query(
            "DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)",
            vec![user_id.into(), keep.into()],
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn create_api_token(&self, new: NewApiToken) -> Result<ApiToken> {
        let row = query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
            vec![
                new_id().into(),
                new.user_id.into(),
                new.name.into(),
                new.token_hash.into(),
                new.prefix.into(),
                Utc::now().into(),
                new.expires_at.into(),
            ],
        )
        .fetch_one(&self.pool)
        .await?;
        api_token_from_row(&row)
    }

    async fn find_api_token(&self, token_hash: &str) -> Result<ApiToken> {
        let row = query(
            "SELECT * FROM api_tokens WHERE token_hash = $1",
            vec![token_hash.into()],
        )
        .fetch_one(&self.pool)
        .await?;
        api_token_from_row(&row)
    }

    async fn list_api_tokens(&self, user_id: Uuid) -> Result<Vec<ApiToken>> {
        let rows = query(
            "SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
            vec![user_id.into()],
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(api_token_from_row).collect()
    }

    async fn revoke_api_token(&self, user_id: Uuid, id: Uuid) -> Result<ApiToken> {
        let row = query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE id = $1 AND user_id = $2 RETURNING *",
            vec![id.into(), user_id.into(), Utc::now().into()],
        )
        .fetch_one(&self.pool)
        .await?;
        api_token_from_row(&row)
    }

    async fn touch_api_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        query(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
            vec![id.into(), at.into()],
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn create_access_code(&self, new: NewAccessCode) -> Result<AccessCode> {
        let row = query(
            "INSERT INTO access_codes (id, code_hash, hint, note, created_by, created_at, \
             expires_at, workspace_id, role, approval_limit) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
            vec![
                new_id().into(),
                new.code_hash.into(),
                new.hint.into(),
                new.note.into(),
                new.created_by.into(),
                Utc::now().into(),
                new.expires_at.into(),
                new.grant.as_ref().map(|g| g.workspace_id).into(),
                new.grant.as_ref().map(|g| g.role.as_str()).into(),
                new.grant.as_ref().and_then(|g| g.approval_limit).into(),
            ],
        )
        .fetch_one(&self.pool)
        .await?;
        access_code_from_row(&row)
    }

    async fn find_access_code(&self, code_hash: &str) -> Result<AccessCode> {
        let row = query(
            "SELECT * FROM access_codes WHERE code_hash = $1",
            vec![code_hash.into()],
        )
        .fetch_one(&self.pool)
        .await?;
        access_code_from_row(&row)
    }

    async fn list_access_codes(&self, page: PageRequest) -> Result<Page<AccessCode>> {
        let listing = Listing {
            table: "access_codes",
            columns: "*",
            order: "created_at DESC, id DESC",
            conds: &[],
            filter_first: FilterFirst::Never,
        };
        self.page(listing, Args::default(), page, access_code_from_row).await
    }

    async fn revoke_access_code(&self, id: Uuid) -> Result<AccessCode> {
        let row = query(
            "UPDATE access_codes SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 \
             RETURNING *",
            vec![id.into(), Utc::now().into()],
        )
        .fetch_one(&self.pool)
        .await?;
        access_code_from_row(&row)
    }

    async fn create_access_request(&self, new: NewAccessRequest) -> Result<AccessRequest> {
        let row = query(
            "INSERT INTO access_requests (id, email, name, message, status, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING *",
            vec![
                new_id().into(),
                new.email.trim().to_lowercase().into(),
                new.name.into(),
                new.message.into(),
                Utc::now().into(),
            ],
        )
        .fetch_one(&self.pool)
        .await?;
        access_request_from_row(&row)
    }

    async fn get_access_request(&self, id: Uuid) -> Result<AccessRequest> {
        let row = query("SELECT * FROM access_requests WHERE id = $1", vec![id.into()])
            .fetch_one(&self.pool)
            .await?;
        access_request_from_row(&row)
    }

    async fn list_access_requests(
        &self,
        status: Option<AccessRequestStatus>,
        page: PageRequest,
    ) -> Result<Page<AccessRequest>> {
        let mut args = Args::default();
        let mut conds = Vec::new();
        if let Some(s) = status {
            let p = args.push(s.as_str());
            conds.push(format!("status = {p}"));
        }
        let listing = Listing {
            table: "access_requests",
            columns: "*",
            order: "created_at DESC, id DESC",
            conds: &conds,
            filter_first: FilterFirst::Never,
        };
        self.page(listing, args, page, access_request_from_row).await
    }

    async fn decide_access_request(
        &self,
        id: Uuid,
        decision: AccessDecision,
    ) -> Result<AccessRequest> {
        let row = query(
            "UPDATE access_requests SET status = $2, decided_at = $3, decided_by = $4, \
             access_code_id = $5 WHERE id = $1 AND status = 'pending' RETURNING *",
            vec![
                id.into(),
                decision.status.as_str().into(),
                Utc::now().into(),
                decision.decided_by.into(),
                decision.access_code_id.into(),
            ],
        )
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => access_request_from_row(&row),
            None => {
                // Tell "no such request" from "already decided".
                self.get_access_request(id).await?;
                Err(StoreError::InvalidState(
                    "the access request was already decided".into(),
                ))
            }
        }
    }
}
