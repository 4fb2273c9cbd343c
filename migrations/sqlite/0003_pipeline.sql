-- The processing pipeline: per-event steps, automation targets per org, identity conflicts
-- for review, and the URL-token fallback for Chatwoot installs that cannot sign (SQLite
-- dialect; postgres/0003_pipeline.sql is its twin).

-- The channel an event was classified to (NULL until processed or when it has none).
ALTER TABLE webhook_events ADD COLUMN source TEXT;
-- Who holds a `processing` event: its lease ends at next_attempt_at, after which any
-- worker (of any replica) may take it again.
ALTER TABLE webhook_events ADD COLUMN locked_by TEXT;
CREATE INDEX webhook_events_org_status ON webhook_events (organization_id, status, id);

-- 'signature' (Chatwoot ≥ 4.11.2 signs deliveries) or 'url_token' (older installs: a long
-- random token in the webhook URL, only its SHA-256 stored).
ALTER TABLE chatwoot_configs ADD COLUMN auth_mode TEXT NOT NULL DEFAULT 'signature'
    CHECK (auth_mode IN ('signature', 'url_token'));
ALTER TABLE chatwoot_configs ADD COLUMN url_token_hash TEXT;

-- One row per step of one processing attempt: what happened, how long it took.
CREATE TABLE event_steps (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     BIGINT  NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    attempt      BIGINT  NOT NULL,
    step         TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    detail       TEXT,
    duration_us  BIGINT  NOT NULL,
    at           BIGINT  NOT NULL
);
CREATE INDEX event_steps_event ON event_steps (event_id, id);

-- Where an org's enriched events go. No row: automation not configured (events are
-- processed, the hand-off is skipped).
CREATE TABLE automation_configs (
    organization_id  BIGINT  PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    mode             TEXT    NOT NULL DEFAULT 'paused' CHECK (mode IN ('v2', 'fallback', 'paused')),
    v2_url           TEXT,
    fallback_url     TEXT,
    timeout_ms       BIGINT  NOT NULL DEFAULT 10000,
    updated_at       BIGINT  NOT NULL
);

-- A session key per conversation, so the hand-off and the tools find it without joins.
ALTER TABLE conversations ADD COLUMN session_key TEXT;
ALTER TABLE conversations ADD COLUMN updated_at BIGINT;
CREATE INDEX conversations_session ON conversations (organization_id, session_key);
CREATE INDEX identities_org ON messaging_contact_identities (organization_id, id);
CREATE INDEX deals_contact ON deals (contact_id);

-- Identity links Ponte refused to overwrite, kept for an operator's review.
CREATE TABLE identity_conflicts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id   BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind              TEXT    NOT NULL,
    source            TEXT    NOT NULL,
    external_id       TEXT    NOT NULL,
    contact_id        BIGINT  REFERENCES contacts(id) ON DELETE SET NULL,
    other_contact_id  BIGINT  REFERENCES contacts(id) ON DELETE SET NULL,
    event_id          BIGINT  REFERENCES webhook_events(id) ON DELETE SET NULL,
    detail            TEXT,
    status            TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    created_at        BIGINT  NOT NULL
);
CREATE INDEX identity_conflicts_org ON identity_conflicts (organization_id, status, id);
