-- +goose Up
-- See the PostgreSQL migration 00002 for what each part is for.
ALTER TABLE contact_record ADD raw_sha256 nvarchar(64) NULL;
IF COL_LENGTH('agent_state', 'last_event_id') IS NULL ALTER TABLE agent_state ADD last_event_id nvarchar(450) NULL;
CREATE INDEX agent_event_agent_status_start_idx ON agent_event (agent_id, status_start_timestamp);
CREATE INDEX agent_event_logout_idx ON agent_event (agent_id, event_timestamp) WHERE event_type = 'LOGOUT';
CREATE INDEX rejected_record_sequence_idx ON rejected_record (source, sequence_number) WHERE sequence_number IS NOT NULL;

-- +goose StatementBegin
CREATE VIEW agent_status_interval AS
WITH starts AS (
    SELECT agent_id, status_start_timestamp AS ts, status_name, status_type,
        ROW_NUMBER() OVER (PARTITION BY agent_id, status_start_timestamp
            ORDER BY event_timestamp, event_id COLLATE Latin1_General_BIN2) AS rn
    FROM agent_event
    WHERE agent_id IS NOT NULL AND status_start_timestamp IS NOT NULL
), bounds AS (
    SELECT agent_id, ts, 1 AS kind, status_name, status_type FROM starts WHERE rn = 1
    UNION ALL
    SELECT agent_id, event_timestamp, 0, NULL, NULL FROM agent_event
    WHERE event_type = 'LOGOUT' AND agent_id IS NOT NULL AND event_timestamp IS NOT NULL
), ordered AS (
    SELECT agent_id, ts, kind, status_name, status_type,
        LEAD(ts) OVER (PARTITION BY agent_id ORDER BY ts, kind) AS next_ts
    FROM bounds
)
SELECT agent_id, ts AS start_timestamp, status_name, status_type, next_ts AS end_timestamp,
    CAST(DATEDIFF_BIG(microsecond, ts, next_ts) / 1000000.0 AS float) AS duration_seconds
FROM ordered
WHERE kind = 1;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP VIEW IF EXISTS agent_status_interval;
-- +goose StatementEnd
DROP INDEX IF EXISTS rejected_record_sequence_idx ON rejected_record;
DROP INDEX IF EXISTS agent_event_logout_idx ON agent_event;
DROP INDEX IF EXISTS agent_event_agent_status_start_idx ON agent_event;
ALTER TABLE contact_record DROP COLUMN raw_sha256;
