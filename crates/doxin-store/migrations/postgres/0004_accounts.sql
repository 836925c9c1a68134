-- Accounts (issue 6): browser sessions, personal API tokens, access codes and access requests.
-- Secrets (session ids, API tokens, access codes) are stored only as SHA-256 hashes: a leaked
-- database does not let anyone sign in. They are random 256-bit (or 12-character single-use)
-- values, so a fast hash is enough; passwords, which people choose, get Argon2id instead.

CREATE TABLE sessions (
    token_hash    text PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    ip            text,
    user_agent    text
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL,
    token_hash    text NOT NULL UNIQUE,
    -- The first characters of the token, so a user can tell their tokens apart.
    prefix        text NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE access_codes (
    id          uuid PRIMARY KEY,
    code_hash   text NOT NULL UNIQUE,
    hint        text NOT NULL,
    note        text,
    created_by  uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    used_by     uuid REFERENCES users (id),
    revoked_at  timestamptz
);

CREATE TABLE access_requests (
    id              uuid PRIMARY KEY,
    email           text NOT NULL,
    name            text NOT NULL,
    message         text,
    status          text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at      timestamptz NOT NULL,
    decided_at      timestamptz,
    decided_by      uuid REFERENCES users (id),
    access_code_id  uuid REFERENCES access_codes (id)
);
CREATE INDEX access_requests_status ON access_requests (status, created_at);
