-- +goose Up
-- What DescribeUser gave of each user that SearchUsers does not (the email),
-- with the user's LastModifiedTime at that read: the configuration syncer
-- describes a user again only when its LastModifiedTime moved (issue 12).
CREATE TABLE connect_user_detail (
    user_id       nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    email         nvarchar(450),
    last_modified datetime2(7),
    read_at       datetime2(7) NOT NULL
);

-- +goose Down
DROP TABLE connect_user_detail;
