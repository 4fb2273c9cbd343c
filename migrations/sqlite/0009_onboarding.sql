-- Onboarding (SQLite dialect; postgres/0009_onboarding.sql is its twin): each org's
-- lifecycle replaces the old status, and the activation checklist with its check runs.

-- One state per org along the rollout. `rolled_back` is entered by a rollback, which
-- remembers where it came from so a roll-forward returns there.
ALTER TABLE organizations ADD COLUMN lifecycle TEXT NOT NULL DEFAULT 'draft'
    CHECK (lifecycle IN ('draft', 'pre_activation', 'activation', 'pilot', 'active', 'rolled_back'));
ALTER TABLE organizations ADD COLUMN rolled_back_from TEXT
    CHECK (rolled_back_from IS NULL OR rolled_back_from IN ('activation', 'pilot', 'active'));
-- The first time the org went live (pilot or active): T+1 counts from here.
ALTER TABLE organizations ADD COLUMN activated_at BIGINT;
-- Archiving hides an org from the lists and refuses its tools; its history stays.
ALTER TABLE organizations ADD COLUMN archived_at BIGINT;
-- The old status meant little (nothing read 'paused'): active orgs stay active, the rest
-- start as drafts, archived ones keep their flag.
UPDATE organizations SET lifecycle = 'active', activated_at = updated_at WHERE status IN ('active', 'paused');
UPDATE organizations SET archived_at = updated_at WHERE status = 'archived';
ALTER TABLE organizations DROP COLUMN status;

-- An item's status as last set, by an operator or by its check. No row: pending.
CREATE TABLE checklist_items (
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    item             TEXT    NOT NULL CHECK (item IN (
                         'chatwoot_account', 'chatwoot_inboxes', 'chatwoot_webhook', 'board_stages',
                         'n8n_credentials', 'instagram_channel', 'v2_workflow', 'smoke_whatsapp',
                         'smoke_instagram', 'smoke_stage_move', 'first_day_metrics', 'logs_audited',
                         'conversation_sample')),
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'ok', 'failed', 'not_applicable')),
    note             TEXT,
    updated_by       TEXT    NOT NULL,
    updated_at       BIGINT  NOT NULL,
    PRIMARY KEY (organization_id, item)
);

-- Every run of an automatic check, kept as history: the requests it made (paths and
-- statuses, never secrets), its findings and its verdict.
CREATE TABLE check_runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    item             TEXT    NOT NULL,
    actor            TEXT    NOT NULL,
    verdict          TEXT    NOT NULL CHECK (verdict IN ('passed', 'failed')),
    started_at       BIGINT  NOT NULL,
    duration_ms      BIGINT  NOT NULL,
    lines            TEXT    NOT NULL DEFAULT '[]',
    calls            TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX check_runs_item ON check_runs (organization_id, item, id);
