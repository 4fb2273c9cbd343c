-- The Chatwoot conversation of a customer's message (PostgreSQL dialect; sqlite/0015_event_conversation.sql is its twin):
-- written when the event is classified, so a conversation's events can be listed (the T+1
-- sample shows them). Events stored before this migration keep NULL (their payload has it).
ALTER TABLE webhook_events ADD COLUMN chatwoot_conversation_id BIGINT;
CREATE INDEX webhook_events_conversation ON webhook_events (organization_id, chatwoot_conversation_id);
