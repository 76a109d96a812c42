-- +goose Up
-- The dashboard's "today" figures and interval reports filter contacts by
-- the time they were queued, and its health panel counts recent rejections.
CREATE INDEX contact_record_enqueue_idx ON contact_record (enqueue_timestamp);
CREATE INDEX rejected_record_received_idx ON rejected_record (received_at);

-- +goose Down
DROP INDEX rejected_record_received_idx;
DROP INDEX contact_record_enqueue_idx;
