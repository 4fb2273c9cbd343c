-- Go-live evidence (SQLite dialect; postgres/0016_evidence.sql is its twin): one row per file kept, for a checklist
-- item or for the org as a whole (scope 'org'). The bytes are in the object store under
-- `object_key` (Ponte's own: org / scope / sha256, never the uploaded name); the same file
-- twice in one scope is one row.
CREATE TABLE evidence (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    scope            TEXT    NOT NULL,
    sha256           TEXT    NOT NULL,
    size             BIGINT  NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('png', 'jpeg', 'webp', 'gif', 'pdf', 'text', 'csv', 'json', 'har')),
    -- The uploaded name, for display only.
    name             TEXT    NOT NULL,
    note             TEXT,
    object_key       TEXT    NOT NULL,
    uploaded_by      TEXT    NOT NULL,
    uploaded_at      BIGINT  NOT NULL,
    UNIQUE (organization_id, scope, sha256)
);
CREATE INDEX evidence_org ON evidence (organization_id, id);
