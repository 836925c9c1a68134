-- Accounts (issue 6). See the PostgreSQL migration 0004 for the reasoning.

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    ip            TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE access_codes (
    id          TEXT PRIMARY KEY,
    code_hash   TEXT NOT NULL UNIQUE,
    hint        TEXT NOT NULL,
    note        TEXT,
    created_by  TEXT REFERENCES users (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     TEXT REFERENCES users (id),
    revoked_at  TEXT
);

CREATE TABLE access_requests (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    name            TEXT NOT NULL,
    message         TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at      TEXT NOT NULL,
    decided_at      TEXT,
    decided_by      TEXT REFERENCES users (id),
    access_code_id  TEXT REFERENCES access_codes (id)
);
CREATE INDEX access_requests_status ON access_requests (status, created_at);
