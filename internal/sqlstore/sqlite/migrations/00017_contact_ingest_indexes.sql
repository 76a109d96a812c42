-- +goose Up
-- contact_record's indexes on (queue_id, enqueue_timestamp), (agent_id,
-- connected_to_agent_timestamp) and (enqueue_timestamp) served the queue,
-- agent and dashboard figures when they were computed from the contacts;
-- since migration 00010 they read the rollups, which are kept from
-- contact_record through its key and its initiation_timestamp index.
-- Nothing reads through these three any more, and every stored contact
-- paid for them.
DROP INDEX IF EXISTS contact_record_queue_idx;
DROP INDEX IF EXISTS contact_record_agent_idx;
DROP INDEX IF EXISTS contact_record_enqueue_idx;

-- +goose Down
CREATE INDEX contact_record_enqueue_idx ON contact_record (enqueue_timestamp);
CREATE INDEX contact_record_agent_idx ON contact_record (agent_id, connected_to_agent_timestamp);
CREATE INDEX contact_record_queue_idx ON contact_record (queue_id, enqueue_timestamp);
