-- Tools API for automations: per-org tokens (hashed), the record of every tool call, and
-- idempotency keys (SQLite dialect; postgres/0004_tools.sql is its twin).

CREATE TABLE org_api_tokens (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    prefix           TEXT    NOT NULL,
    -- Only the SHA-256 of the token: a leaked table moves no deal.
    token_hash       TEXT    NOT NULL UNIQUE,
    created_by       TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    last_used_at     BIGINT,
    revoked_at       BIGINT
);
CREATE INDEX org_api_tokens_org ON org_api_tokens (organization_id, id);

CREATE TABLE tool_calls (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    token_id         BIGINT  REFERENCES org_api_tokens(id) ON DELETE SET NULL,
    tool             TEXT    NOT NULL,
    deal_id          BIGINT,
    -- The ids and names the call was given (never message text or secrets).
    input            TEXT    NOT NULL DEFAULT '{}',
    outcome          TEXT    NOT NULL CHECK (outcome IN ('ok', 'noop', 'replayed', 'error')),
    http_status      BIGINT  NOT NULL,
    error_code       TEXT,
    duration_us      BIGINT  NOT NULL,
    at               BIGINT  NOT NULL
);
CREATE INDEX tool_calls_org ON tool_calls (organization_id, id);

-- The first answer to an Idempotency-Key, replayed for repeats of the same key.
CREATE TABLE tool_idempotency (
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    tool             TEXT    NOT NULL,
    key              TEXT    NOT NULL,
    status           BIGINT  NOT NULL,
    response         TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    PRIMARY KEY (organization_id, tool, key)
);
