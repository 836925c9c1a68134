-- API usage analytics (issue 6). See the PostgreSQL migration 0006 for the reasoning.
CREATE TABLE api_usage (
    day      TEXT NOT NULL,
    method   TEXT NOT NULL,
    route    TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    status   INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (day, route, method, user_id, status)
);
CREATE INDEX api_usage_user_day ON api_usage (user_id, day);
