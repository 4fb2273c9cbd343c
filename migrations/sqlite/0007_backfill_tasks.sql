-- Backfill, part two (SQLite dialect; postgres/0007_backfill_tasks.sql is its twin):
-- leases so one process runs a backfill at a time and a dead one's run is picked up again,
-- waves of orgs, reconciliation of identity conflicts, and the contacts import.

-- A run is worked by the process holding its lease; a run left `running` by a process
-- that died is taken over once the lease has run out.
ALTER TABLE backfill_runs ADD COLUMN locked_by TEXT;
ALTER TABLE backfill_runs ADD COLUMN lease_until BIGINT;
-- Batches the database refused in a row, and the last refusal: a run that keeps failing
-- stops as `failed` (an operator resumes it after fixing the cause).
ALTER TABLE backfill_runs ADD COLUMN failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE backfill_runs ADD COLUMN last_error TEXT;
-- Runs started together for several orgs share a wave label (the portal groups them).
ALTER TABLE backfill_runs ADD COLUMN wave TEXT;
CREATE INDEX backfill_runs_runnable ON backfill_runs (status, lease_until);
CREATE INDEX backfill_runs_wave ON backfill_runs (wave);

-- A conflict between two contacts (or a contact and a number) is a reconciliation task
-- while open; resolving it records how, by whom and when.
ALTER TABLE identity_conflicts ADD COLUMN resolution TEXT
    CHECK (resolution IS NULL OR resolution IN ('kept', 'linked_other', 'not_same_person'));
ALTER TABLE identity_conflicts ADD COLUMN resolved_by TEXT;
ALTER TABLE identity_conflicts ADD COLUMN resolved_at BIGINT;
-- A contact's clash over a number is recorded once, whatever its kind: a second
-- backfill run (or the tenth message from the same number) finds the row it would write,
-- and a clash an operator resolved is not reopened.
DELETE FROM identity_conflicts WHERE contact_id IS NOT NULL AND id NOT IN (
    SELECT MIN(id) FROM identity_conflicts WHERE contact_id IS NOT NULL
    GROUP BY organization_id, source, external_id, contact_id
);
CREATE UNIQUE INDEX identity_conflicts_once
    ON identity_conflicts (organization_id, source, external_id, contact_id);
CREATE INDEX identity_conflicts_run ON identity_conflicts (run_id, id);

-- Contacts brought from the client's previous CRM: its id keys re-imports.
ALTER TABLE contacts ADD COLUMN external_ref TEXT;
CREATE UNIQUE INDEX contacts_external_ref ON contacts (organization_id, external_ref);
CREATE INDEX contacts_phone ON contacts (organization_id, phone);

CREATE TABLE contact_imports (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    status           TEXT    NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    filename         TEXT,
    rows_read        BIGINT  NOT NULL DEFAULT 0,
    created          BIGINT  NOT NULL DEFAULT 0,
    updated          BIGINT  NOT NULL DEFAULT 0,
    unchanged        BIGINT  NOT NULL DEFAULT 0,
    rejected         BIGINT  NOT NULL DEFAULT 0,
    warnings         BIGINT  NOT NULL DEFAULT 0,
    error            TEXT,
    actor            TEXT    NOT NULL,
    started_at       BIGINT  NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX contact_imports_org ON contact_imports (organization_id, id);

-- Rows of an import that were rejected (or taken with a warning), for the report.
CREATE TABLE contact_import_issues (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    import_id  BIGINT  NOT NULL REFERENCES contact_imports(id) ON DELETE CASCADE,
    line       BIGINT  NOT NULL,
    level      TEXT    NOT NULL CHECK (level IN ('rejected', 'warning')),
    code       TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    raw        TEXT    NOT NULL
);
CREATE INDEX contact_import_issues_import ON contact_import_issues (import_id, id);
