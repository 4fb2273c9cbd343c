-- The T+1 reviews (SQLite dialect; postgres/0013_t1_reviews.sql is its twin): an operator's
-- verdict on each entry of the post-activation review. "Logs audited" lists the identity
-- conflicts and failed stage moves since go-live (kind conflict / stage_move, ref_id their
-- id); the sample of real conversations holds the ones drawn (kind conversation, drawn_at
-- set), pending until reviewed. A verdict of 'problem' always carries a note.
CREATE TABLE t1_reviews (
    organization_id  BIGINT  NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL CHECK (kind IN ('conflict', 'stage_move', 'conversation')),
    ref_id           BIGINT  NOT NULL,
    verdict          TEXT    NOT NULL CHECK (verdict IN ('pending', 'ok', 'problem')),
    note             TEXT,
    reviewed_by      TEXT,
    reviewed_at      BIGINT,
    drawn_at         BIGINT,
    PRIMARY KEY (organization_id, kind, ref_id),
    CHECK (verdict <> 'problem' OR note IS NOT NULL)
);
