-- The rollout board (SQLite dialect; postgres/0012_rollout.sql is its twin): the waves the
-- team groups orgs into, and each org's place in the plan. Planned dates are São Paulo
-- calendar dates ('YYYY-MM-DD', checked by the domain), not instants: a wave starts on a
-- day, not at a moment.
CREATE TABLE waves (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT    NOT NULL UNIQUE,
    position       BIGINT  NOT NULL,
    planned_start  TEXT    CHECK (planned_start IS NULL OR length(planned_start) = 10),
    planned_end    TEXT    CHECK (planned_end IS NULL OR length(planned_end) = 10),
    created_at     BIGINT  NOT NULL,
    CHECK (planned_start IS NULL OR planned_end IS NULL OR planned_start <= planned_end)
);

-- A wave with orgs in it cannot be deleted (the domain says so; the key enforces it).
ALTER TABLE organizations ADD COLUMN wave_id BIGINT REFERENCES waves(id);
ALTER TABLE organizations ADD COLUMN technical_owner TEXT;
-- When the client's credentials were ready: the activation lead time counts from here.
ALTER TABLE organizations ADD COLUMN credentials_ready_at BIGINT;
CREATE INDEX organizations_wave ON organizations (wave_id);
