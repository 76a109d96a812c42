-- +goose Up
-- Where the daemon's Kinesis consumers are in each shard: the sequence
-- number of the last record stored (resume AFTER_SEQUENCE_NUMBER).
CREATE TABLE stream_checkpoint (
    stream_name     text NOT NULL,
    shard_id        text NOT NULL,
    sequence_number text NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (stream_name, shard_id)
);

-- +goose Down
DROP TABLE stream_checkpoint;
