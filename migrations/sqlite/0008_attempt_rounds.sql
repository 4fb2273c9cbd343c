-- Reprocessing gives an event a fresh retry budget (attempts = 0) but its earlier attempts
-- stay in its history: attempts_before counts them, so the next attempt is numbered after
-- them and the event's step rows never repeat an attempt number.
ALTER TABLE webhook_events ADD COLUMN attempts_before BIGINT NOT NULL DEFAULT 0;
