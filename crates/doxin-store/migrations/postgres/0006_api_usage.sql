-- API usage analytics (issue 6): request counters by UTC day, route template, user and status.
-- The server counts in memory and adds its counts every few seconds (one upsert per key), so
-- the table grows with distinct keys, not with requests. Anonymous requests use the nil UUID:
-- a primary-key column cannot be NULL, and NULLs would never conflict in an upsert. No foreign
-- key to users: counts are history and stay when an account changes.
CREATE TABLE api_usage (
    day      date NOT NULL,
    method   text NOT NULL,
    route    text NOT NULL,
    user_id  uuid NOT NULL,
    status   integer NOT NULL,
    count    bigint NOT NULL,
    PRIMARY KEY (day, route, method, user_id, status)
);
CREATE INDEX api_usage_user_day ON api_usage (user_id, day);
