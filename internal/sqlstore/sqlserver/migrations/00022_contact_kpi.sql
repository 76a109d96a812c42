-- +goose Up
-- Nothing to do: migration 00022 makes PostgreSQL keep kpi_contact's rows
-- as a table (contact_kpi) for month-long reads at 1,000 agents; this
-- dialect's kpi_contact computes them from contact_record as before.
SELECT 1;

-- +goose Down
SELECT 1;
