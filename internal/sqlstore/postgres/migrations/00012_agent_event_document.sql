-- +goose Up
-- agent_event.raw keeps each repeated part of an agent event once (issue
-- 12, storage). A realistic agent event carries the agent's configuration
-- twice (CurrentAgentSnapshot and PreviousAgentSnapshot .Configuration, two
-- thirds of its JSON) and its status twice (.AgentStatus), and they rarely
-- change between events: each distinct text of these parts is now kept once
-- in agent_event_part, keyed by the first 16 bytes of its SHA-256, and raw
-- keeps a one-byte marker in its place:
--   \x01 configuration_sha256            \x02 previous_configuration_sha256
--   \x06 agent_status_sha256             \x07 previous_agent_status_sha256
-- (a previous part equal to the current one is marked as the current one,
-- its key NULL), as it does for what the row's own columns hold, where the
-- value is exactly what the column gives back:
--   \x03 "EventId" (event_id)            \x04 "AgentARN" (agent_arn)
--   \x0e "EventType" (event_type)        \x0f "AWSAccountId" (agent_arn's 5th ':' field)
--   \x08 "EventTimestamp" (event_timestamp as 2024-03-04T07:17:17.078Z)
--   \x05 the instance's ARN (agent_arn before '/agent/'), wherever it occurs.
-- JSON text never holds these bytes, so the marked text is unambiguous.
-- agent_event_document puts the document back, byte for byte: read it
-- there, not in raw. Rows stored before this migration, and documents of
-- another shape, keep raw whole (configuration_sha256 NULL).
-- last_event_timestamp is the newest event_timestamp (to the UTC day) of
-- the events stored with the part: maintain drops the parts whose events
-- all had their raw cleared or were deleted.
CREATE TABLE agent_event_part (
    sha256               bytea PRIMARY KEY,
    part                 text NOT NULL,
    last_event_timestamp timestamptz NOT NULL
);
ALTER TABLE agent_event ADD COLUMN configuration_sha256 bytea,
    ADD COLUMN previous_configuration_sha256 bytea,
    ADD COLUMN agent_status_sha256 bytea,
    ADD COLUMN previous_agent_status_sha256 bytea;

-- No report reads agent_event by (agent_id, event_timestamp) (the status
-- intervals use the status-start and LOGOUT indexes): that index cost 106
-- bytes an event. A BRIN index on the event time (a few bytes per thousand
-- events; events arrive in time order) serves time ranges and retention.
DROP INDEX agent_event_agent_time_idx;
CREATE INDEX agent_event_time_brin ON agent_event USING brin (event_timestamp);

-- A part whose key is set but whose row is gone (maintain dropped it with
-- the raw of old events) makes the document NULL, like a cleared raw.
CREATE VIEW agent_event_document AS
SELECT e.event_id, e.event_timestamp,
    CASE WHEN e.configuration_sha256 IS NULL THEN e.raw ELSE
        replace(replace(replace(replace(replace(replace(replace(replace(replace(
            replace(e.raw, E'\x05', substr(COALESCE(e.agent_arn, ''), 1,
                GREATEST(strpos(COALESCE(e.agent_arn, ''), '/agent/') - 1, 0))),
            E'\x01', c.part),
            E'\x02', COALESCE(pc.part, CASE WHEN e.previous_configuration_sha256 IS NULL THEN '' END)),
            E'\x06', COALESCE(s.part, CASE WHEN e.agent_status_sha256 IS NULL THEN '' END)),
            E'\x07', COALESCE(ps.part, CASE WHEN e.previous_agent_status_sha256 IS NULL THEN '' END)),
            E'\x03', '"' || e.event_id || '"'),
            E'\x04', '"' || COALESCE(e.agent_arn, '') || '"'),
            E'\x08', '"' || COALESCE(to_char(e.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '') || '"'),
            E'\x0e', '"' || e.event_type || '"'),
            E'\x0f', '"' || split_part(COALESCE(e.agent_arn, ''), ':', 5) || '"')
    END AS document
FROM agent_event e
LEFT JOIN agent_event_part c ON c.sha256 = e.configuration_sha256
LEFT JOIN agent_event_part pc ON pc.sha256 = e.previous_configuration_sha256
LEFT JOIN agent_event_part s ON s.sha256 = e.agent_status_sha256
LEFT JOIN agent_event_part ps ON ps.sha256 = e.previous_agent_status_sha256;

-- +goose Down
UPDATE agent_event e SET raw = d.document, configuration_sha256 = NULL
FROM agent_event_document d WHERE d.event_id = e.event_id AND e.configuration_sha256 IS NOT NULL;
DROP VIEW agent_event_document;
DROP INDEX agent_event_time_brin;
CREATE INDEX agent_event_agent_time_idx ON agent_event (agent_id, event_timestamp);
ALTER TABLE agent_event DROP COLUMN configuration_sha256, DROP COLUMN previous_configuration_sha256,
    DROP COLUMN agent_status_sha256, DROP COLUMN previous_agent_status_sha256;
DROP TABLE agent_event_part;
