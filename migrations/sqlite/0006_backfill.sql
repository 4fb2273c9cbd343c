-- WhatsApp identity backfill runs, with a checkpoint per batch (SQLite dialect;
-- postgres/0006_backfill.sql is its twin).

CREATE TABLE backfill_runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    status           TEXT    NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'paused', 'cancelled', 'done', 'failed')),
    dry_run          BOOLEAN NOT NULL DEFAULT FALSE,
    batch_size       BIGINT  NOT NULL,
    -- The last contact id handled: a resumed run starts after it.
    cursor           BIGINT  NOT NULL DEFAULT 0,
    total            BIGINT  NOT NULL DEFAULT 0,
    processed        BIGINT  NOT NULL DEFAULT 0,
    created          BIGINT  NOT NULL DEFAULT 0,
    skipped          BIGINT  NOT NULL DEFAULT 0,
    conflicts        BIGINT  NOT NULL DEFAULT 0,
    invalid          BIGINT  NOT NULL DEFAULT 0,
    empty            BIGINT  NOT NULL DEFAULT 0,
    actor            TEXT    NOT NULL,
    started_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX backfill_runs_org ON backfill_runs (organization_id, id);

ALTER TABLE identity_conflicts ADD COLUMN run_id BIGINT REFERENCES backfill_runs(id) ON DELETE SET NULL;
ALTER TABLE identity_conflicts ADD COLUMN phone_raw TEXT;
