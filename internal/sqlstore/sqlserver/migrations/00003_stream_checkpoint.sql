-- +goose Up
-- Where the daemon's Kinesis consumers are in each shard: the sequence
-- number of the last record stored (resume AFTER_SEQUENCE_NUMBER).
CREATE TABLE stream_checkpoint (
    stream_name     nvarchar(128) NOT NULL,
    shard_id        nvarchar(128) NOT NULL,
    sequence_number nvarchar(128) NOT NULL,
    updated_at      datetime2(7) NOT NULL,
    PRIMARY KEY (stream_name, shard_id)
);

-- +goose Down
DROP TABLE stream_checkpoint;
