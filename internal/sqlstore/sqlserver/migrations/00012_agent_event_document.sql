-- +goose Up
-- agent_event_document: each agent event's JSON document, as the decoder
-- handed it over. On PostgreSQL agent_event.raw is stored encoded (each
-- configuration snapshot kept once, migration 00012 there) and this view
-- puts the document back; this dialect keeps raw whole, so the view is raw.
-- Report writers read the same view on every dialect.
-- +goose StatementBegin
CREATE VIEW agent_event_document AS
SELECT event_id, event_timestamp, raw AS document FROM agent_event;
-- +goose StatementEnd

-- +goose Down
DROP VIEW agent_event_document;
