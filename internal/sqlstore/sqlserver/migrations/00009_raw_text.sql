-- +goose Up
-- Nothing to do: migration 00009 stops PostgreSQL parsing agent_event.raw on the way in
-- (it keeps the JSON as compressed character data); this dialect already
-- keeps raw as nvarchar(max) JSON.
SELECT 1;

-- +goose Down
SELECT 1;
