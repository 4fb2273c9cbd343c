-- Ponte's foundation schema (SQLite dialect; postgres/0001_foundation.sql is its twin).
-- Instants are BIGINT epoch milliseconds so window queries read the same on both engines.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'onboarding'
                CHECK (status IN ('onboarding', 'active', 'paused', 'archived')),
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE boards (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    key              TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    is_default       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       BIGINT  NOT NULL,
    UNIQUE (organization_id, key)
);
-- The board that ingestion puts new deals on: at most one per org.
CREATE UNIQUE INDEX boards_one_default ON boards (organization_id) WHERE is_default;

CREATE TABLE stages (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    board_id  BIGINT  NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    label     TEXT    NOT NULL,
    position  BIGINT  NOT NULL,
    UNIQUE (board_id, key)
);
CREATE INDEX stages_board_position ON stages (board_id, position);

CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name             TEXT,
    phone            TEXT,
    email            TEXT,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX contacts_org ON contacts (organization_id, id);

CREATE TABLE messaging_contact_identities (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    contact_id       BIGINT  NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    source           TEXT    NOT NULL CHECK (source IN ('whatsapp', 'instagram')),
    external_id      TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    UNIQUE (organization_id, source, external_id)
);
CREATE INDEX identities_contact ON messaging_contact_identities (contact_id);

CREATE TABLE deals (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    contact_id       BIGINT  NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    board_id         BIGINT  NOT NULL REFERENCES boards(id),
    stage_id         BIGINT  NOT NULL REFERENCES stages(id),
    status           TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
-- "One open deal per contact and board" is the database's promise, not the code's.
CREATE UNIQUE INDEX deals_one_open ON deals (contact_id, board_id) WHERE status = 'open';
CREATE INDEX deals_org ON deals (organization_id, id);

CREATE TABLE conversations (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id           BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    chatwoot_conversation_id  BIGINT  NOT NULL,
    contact_id                BIGINT  NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    deal_id                   BIGINT  REFERENCES deals(id) ON DELETE SET NULL,
    source                    TEXT    NOT NULL CHECK (source IN ('whatsapp', 'instagram')),
    created_at                BIGINT  NOT NULL,
    UNIQUE (organization_id, chatwoot_conversation_id)
);

CREATE TABLE stage_moves (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id        BIGINT  NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
    from_stage_id  BIGINT  REFERENCES stages(id),
    to_stage_id    BIGINT  NOT NULL REFERENCES stages(id),
    actor          TEXT    NOT NULL,
    at             BIGINT  NOT NULL
);
CREATE INDEX stage_moves_deal ON stage_moves (deal_id, at);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT  NOT NULL
);

-- Only the SHA-256 of a session token is stored: a leaked table opens no session.
CREATE TABLE sessions (
    token_hash    TEXT    PRIMARY KEY,
    user_id       BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One-time links for creating the first admin.
CREATE TABLE setup_tokens (
    token_hash  TEXT    PRIMARY KEY,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);

CREATE TABLE admin_api_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    key_hash      TEXT    NOT NULL UNIQUE,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);

CREATE TABLE settings (
    key         TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    actor            TEXT    NOT NULL,
    action           TEXT    NOT NULL,
    organization_id  BIGINT  REFERENCES organizations(id) ON DELETE SET NULL,
    detail           TEXT    NOT NULL DEFAULT '{}',
    at               BIGINT  NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (organization_id, at);
