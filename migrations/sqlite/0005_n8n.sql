-- n8n per org, rollback/roll-forward records and incidents (SQLite dialect;
-- postgres/0005_n8n.sql is its twin).

CREATE TABLE n8n_configs (
    organization_id       BIGINT  PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    base_url              TEXT    NOT NULL,
    -- Sealed with the master key, never read back.
    api_key_enc           TEXT    NOT NULL,
    v2_workflow_id        TEXT,
    v2_template_version   TEXT,
    fallback_workflow_id  TEXT,
    updated_at            BIGINT  NOT NULL
);

-- One rollback or roll-forward: each step with its outcome, so a failure leaves a known state.
CREATE TABLE automation_actions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    action           TEXT    NOT NULL CHECK (action IN ('rollback', 'roll_forward')),
    actor            TEXT    NOT NULL,
    reason           TEXT,
    steps            TEXT    NOT NULL DEFAULT '[]',
    outcome          TEXT    NOT NULL CHECK (outcome IN ('ok', 'failed')),
    at               BIGINT  NOT NULL
);
CREATE INDEX automation_actions_org ON automation_actions (organization_id, id);

CREATE TABLE incidents (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    title            TEXT    NOT NULL,
    reason           TEXT,
    status           TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    opened_by        TEXT    NOT NULL,
    opened_at        BIGINT  NOT NULL,
    resolved_at      BIGINT
);
CREATE INDEX incidents_org ON incidents (organization_id, status, id);
