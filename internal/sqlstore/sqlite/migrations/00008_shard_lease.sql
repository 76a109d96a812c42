-- +goose Up
-- Shard leases of the daemon's Kinesis consumers (like the Kinesis Client
-- Library's lease table): at most one lease_owner reads a shard; the owner
-- increments lease_counter to renew; a lease whose counter stays unchanged
-- for the lease duration is taken over (compare and set on the counter).
-- sequence_number is the checkpoint: the last record stored (written in the
-- same transaction as the records, fenced on lease_owner), or TRIM_HORIZON /
-- LATEST (not read yet) or SHARD_END (read to its end). It replaces
-- stream_checkpoint, whose rows become free leases.
CREATE TABLE stream_lease (
    stream_name     TEXT NOT NULL,
    shard_id        TEXT NOT NULL,
    lease_owner     TEXT NULL,
    lease_counter   INTEGER NOT NULL DEFAULT 0,
    sequence_number TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (stream_name, shard_id)
);
INSERT INTO stream_lease (stream_name, shard_id, lease_owner, lease_counter, sequence_number, updated_at)
SELECT stream_name, shard_id, NULL, 0, sequence_number, updated_at FROM stream_checkpoint;
DROP TABLE stream_checkpoint;

-- +goose Down
CREATE TABLE stream_checkpoint (
    stream_name     TEXT NOT NULL,
    shard_id        TEXT NOT NULL,
    sequence_number TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (stream_name, shard_id)
);
INSERT INTO stream_checkpoint (stream_name, shard_id, sequence_number, updated_at)
SELECT stream_name, shard_id, sequence_number, updated_at FROM stream_lease
WHERE sequence_number NOT IN ('TRIM_HORIZON', 'LATEST', 'SHARD_END');
DROP TABLE stream_lease;
