-- Synthetic traffic (PostgreSQL dialect; sqlite/0010_synthetic.sql is its twin): the smoke tests'
-- deliveries and the contacts they create are marked, so that no business metric, list of
-- real conversations or T+1 sample counts them.
ALTER TABLE webhook_events ADD COLUMN synthetic BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE contacts ADD COLUMN synthetic BOOLEAN NOT NULL DEFAULT FALSE;
