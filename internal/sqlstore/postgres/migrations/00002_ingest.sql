-- +goose Up
-- Ingest (StoreBatch) needs: the version hash that breaks ties between two
-- contact-record versions with the same LastUpdateTimestamp, the id of the
-- event that last moved agent_state, indexes for the interval view and for
-- rejected-record de-duplication, and agent_status_interval itself.
ALTER TABLE contact_record ADD COLUMN IF NOT EXISTS raw_sha256 text;
ALTER TABLE agent_state ADD COLUMN IF NOT EXISTS last_event_id text;
CREATE INDEX IF NOT EXISTS agent_event_agent_status_start_idx ON agent_event (agent_id, status_start_timestamp);
CREATE INDEX IF NOT EXISTS agent_event_logout_idx ON agent_event (agent_id, event_timestamp) WHERE event_type = 'LOGOUT';
CREATE INDEX IF NOT EXISTS rejected_record_sequence_idx ON rejected_record (source, sequence_number) WHERE sequence_number IS NOT NULL;

-- agent_status_interval is derived from agent_event, so it is right whatever
-- order events arrived in: every distinct (agent, status start) opens an
-- interval (its name and type from the earliest event that carries it),
-- which ends at the next status start or LOGOUT of the agent, and stays open
-- (end_timestamp NULL) until then. At equal times a LOGOUT ends an interval
-- before a new one starts.
-- +goose StatementBegin
CREATE VIEW agent_status_interval AS
WITH starts AS (
    SELECT agent_id, status_start_timestamp AS ts, status_name, status_type,
        row_number() OVER (PARTITION BY agent_id, status_start_timestamp
            ORDER BY event_timestamp, event_id COLLATE "C") AS rn
    FROM agent_event
    WHERE agent_id IS NOT NULL AND status_start_timestamp IS NOT NULL
), bounds AS (
    SELECT agent_id, ts, 1 AS kind, status_name, status_type FROM starts WHERE rn = 1
    UNION ALL
    SELECT agent_id, event_timestamp, 0, NULL, NULL FROM agent_event
    WHERE event_type = 'LOGOUT' AND agent_id IS NOT NULL AND event_timestamp IS NOT NULL
), ordered AS (
    SELECT agent_id, ts, kind, status_name, status_type,
        lead(ts) OVER (PARTITION BY agent_id ORDER BY ts, kind) AS next_ts
    FROM bounds
)
SELECT agent_id, ts AS start_timestamp, status_name, status_type, next_ts AS end_timestamp,
    CAST(EXTRACT(EPOCH FROM (next_ts - ts)) AS double precision) AS duration_seconds
FROM ordered
WHERE kind = 1;
-- +goose StatementEnd

-- +goose Down
DROP VIEW IF EXISTS agent_status_interval;
DROP INDEX IF EXISTS rejected_record_sequence_idx;
DROP INDEX IF EXISTS agent_event_logout_idx;
DROP INDEX IF EXISTS agent_event_agent_status_start_idx;
ALTER TABLE contact_record DROP COLUMN IF EXISTS raw_sha256;
