-- Refused webhook deliveries (SQLite dialect; postgres/0011_refusals.sql is its twin): an
-- operator whose Chatwoot signs with the wrong secret otherwise sees only that nothing
-- arrives. Repeats of one reason within a second are folded into one row (`count`), so a
-- flood of bad deliveries costs a write a second, not a write a request.
CREATE TABLE webhook_refusals (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    code             TEXT    NOT NULL,
    delivery_id      TEXT,
    count            BIGINT  NOT NULL,
    first_at         BIGINT  NOT NULL,
    last_at          BIGINT  NOT NULL
);
CREATE INDEX webhook_refusals_org ON webhook_refusals (organization_id, id);
