-- Live smoke runs (SQLite dialect; postgres/0014_live_smoke.sql is its twin): the operator
-- writes from a real test phone or Instagram account and Ponte waits for that identity's
-- message until `deadline_at`. One run at a time waits per org. A run whose process stopped
-- while waiting is read as expired once its deadline has passed.
CREATE TABLE live_smoke_runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    state            TEXT    NOT NULL CHECK (state IN ('waiting', 'passed', 'failed', 'expired', 'cancelled')),
    -- The phone as identities key it (E.164 digits), and '@user' or the numeric id.
    whatsapp         TEXT,
    instagram        TEXT,
    stage            TEXT,
    started_by       TEXT    NOT NULL,
    started_at       BIGINT  NOT NULL,
    deadline_at      BIGINT  NOT NULL,
    finished_at      BIGINT,
    whatsapp_event   BIGINT,
    instagram_event  BIGINT,
    CHECK (whatsapp IS NOT NULL OR instagram IS NOT NULL)
);
CREATE INDEX live_smoke_runs_org ON live_smoke_runs (organization_id, id);
CREATE UNIQUE INDEX live_smoke_runs_one_waiting ON live_smoke_runs (organization_id) WHERE state = 'waiting';
