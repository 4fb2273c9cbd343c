-- The go-live record (SQLite dialect; postgres/0017_go_live.sql is its twin): one per org, made by
-- "Liberar produção". `snapshot` is the frozen JSON (checklist, checks' last output,
-- evidence hashes) exactly as hashed into `snapshot_sha256`, so anyone can show later that
-- it was not altered.
CREATE TABLE go_live (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL UNIQUE REFERENCES organizations(id) ON DELETE CASCADE,
    target           TEXT    NOT NULL CHECK (target IN ('pilot', 'active')),
    live_at          BIGINT  NOT NULL,
    recorded_at      BIGINT  NOT NULL,
    technical_owner  TEXT    NOT NULL,
    approver         TEXT    NOT NULL,
    override_reason  TEXT,
    lead_time_days   BIGINT,
    snapshot         TEXT    NOT NULL,
    snapshot_sha256  TEXT    NOT NULL
);
