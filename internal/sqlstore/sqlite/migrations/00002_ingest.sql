-- +goose Up
-- See the PostgreSQL migration 00002 for what each part is for.
ALTER TABLE contact_record ADD COLUMN raw_sha256 TEXT;
CREATE INDEX IF NOT EXISTS agent_event_agent_status_start_idx ON agent_event (agent_id, status_start_timestamp);
CREATE INDEX IF NOT EXISTS agent_event_logout_idx ON agent_event (agent_id, event_timestamp) WHERE event_type = 'LOGOUT';
CREATE INDEX IF NOT EXISTS rejected_record_sequence_idx ON rejected_record (source, sequence_number) WHERE sequence_number IS NOT NULL;

-- +goose StatementBegin
CREATE VIEW agent_status_interval AS
WITH starts AS (
    SELECT agent_id, status_start_timestamp AS ts, status_name, status_type,
        row_number() OVER (PARTITION BY agent_id, status_start_timestamp
            ORDER BY event_timestamp, event_id) AS rn
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
    unixepoch(next_ts, 'subsec') - unixepoch(ts, 'subsec') AS duration_seconds
FROM ordered
WHERE kind = 1;
-- +goose StatementEnd

-- +goose Down
DROP VIEW IF EXISTS agent_status_interval;
DROP INDEX IF EXISTS rejected_record_sequence_idx;
DROP INDEX IF EXISTS agent_event_logout_idx;
DROP INDEX IF EXISTS agent_event_agent_status_start_idx;
ALTER TABLE contact_record DROP COLUMN raw_sha256;
