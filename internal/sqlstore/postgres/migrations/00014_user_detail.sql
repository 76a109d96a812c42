-- +goose Up
-- What DescribeUser gave of each user that SearchUsers does not (the email),
-- with the user's LastModifiedTime at that read: the configuration syncer
-- describes a user again only when its LastModifiedTime moved (issue 12).
CREATE TABLE connect_user_detail (
    user_id       text PRIMARY KEY,
    email         text,
    last_modified timestamptz,
    read_at       timestamptz NOT NULL
);

-- +goose Down
DROP TABLE connect_user_detail;
