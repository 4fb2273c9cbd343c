-- Chatwoot connection per org and the durable inbox of webhook events (SQLite dialect;
-- postgres/0002_webhooks.sql is its twin).

CREATE TABLE chatwoot_configs (
    organization_id     BIGINT  PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    base_url            TEXT,
    account_id          BIGINT,
    -- Secrets are sealed with the master key (ChaCha20-Poly1305), never stored in clear.
    webhook_secret_enc  TEXT,
    api_token_enc       TEXT,
    -- JSON object: Chatwoot inbox id → "whatsapp" | "instagram".
    inbox_sources       TEXT    NOT NULL DEFAULT '{}',
    updated_at          BIGINT  NOT NULL
);

-- Every accepted delivery is committed here before Chatwoot gets its 2xx. The dedupe key
-- makes a re-delivery of the same message (new delivery id, same message id) a no-op.
CREATE TABLE webhook_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    event            TEXT    NOT NULL,
    dedupe_key       TEXT    NOT NULL,
    delivery_id      TEXT,
    payload          TEXT    NOT NULL,
    received_at      BIGINT  NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'processing', 'done', 'ignored', 'failed', 'dead')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    last_error       TEXT,
    UNIQUE (organization_id, dedupe_key)
);
CREATE INDEX webhook_events_queue ON webhook_events (status, next_attempt_at);
CREATE INDEX webhook_events_org_time ON webhook_events (organization_id, received_at);
