-- +goose Up
-- agent_status_day: the seconds of every CLOSED status interval per report
-- zone, local day, agent and status (cut at local midnight), kept at
-- ingest in the transaction that stores the agent events (status_day.go)
-- and for every day report_interval gains. kpi_agent_status_day reads it
-- plus the open intervals (at most one per agent, ended at the agent's last
-- evidence when queried), so a month of a 1,000-agent centre reads some
-- 60,000 rows instead of cutting a million intervals at day bounds.
-- seconds is numeric so that sums are exact (the view's former SUM of
-- EXTRACT(EPOCH ...) was numeric too). Writers take the advisory
-- transaction lock 7365617 ('status day') first.
CREATE TABLE agent_status_day (
    time_zone   text NOT NULL,
    local_date  date NOT NULL,
    agent_id    text NOT NULL,
    status_name text,
    status_type text,
    seconds     numeric NOT NULL
);
CREATE INDEX agent_status_day_date_idx ON agent_status_day (time_zone, local_date, agent_id);
-- Finding the zone days that end after an instant (ingest's first changed day).
CREATE INDEX report_interval_day_end_idx ON report_interval (day_end) WHERE interval_start = day_start;
-- Open intervals (the view's live part) and long closed ones (> 23 hours,
-- which the start-range lookups of the bounded ones cannot find).
CREATE INDEX agent_status_interval_open_idx ON agent_status_interval (agent_id) WHERE end_timestamp IS NULL;
CREATE INDEX agent_status_interval_long_idx ON agent_status_interval (end_timestamp) WHERE unbounded = 1;

-- +goose StatementBegin
INSERT INTO agent_status_day (time_zone, local_date, agent_id, status_name, status_type, seconds)
SELECT d.time_zone, d.local_date, s.agent_id, s.status_name, MAX(s.status_type),
    SUM(EXTRACT(EPOCH FROM (LEAST(s.end_timestamp, d.day_end) - GREATEST(s.start_timestamp, d.day_start))))
FROM report_interval d
JOIN agent_status_interval s ON s.end_timestamp IS NOT NULL
    AND s.start_timestamp < d.day_end AND s.end_timestamp > d.day_start
WHERE d.interval_start = d.day_start
GROUP BY d.time_zone, d.local_date, s.agent_id, s.status_name;
-- +goose StatementEnd

-- The same columns and meaning as in 00006 (CREATE OR REPLACE keeps
-- kpi_agent_day, which reads it): closed intervals from agent_status_day,
-- the open ones cut at day bounds and ended at agent_state.last_event_timestamp.
-- +goose StatementBegin
CREATE OR REPLACE VIEW kpi_agent_status_day AS
SELECT p.time_zone, p.local_date, p.agent_id, MAX(st.username) AS username, p.status_name, MAX(p.status_type) AS status_type,
    SUM(p.seconds)::double precision AS seconds
FROM (
    SELECT time_zone, local_date, agent_id, status_name, status_type, seconds
    FROM agent_status_day
    UNION ALL
    SELECT d.time_zone, d.local_date, s.agent_id, s.status_name, s.status_type,
        EXTRACT(EPOCH FROM (LEAST(a.last_event_timestamp, d.day_end) - GREATEST(s.start_timestamp, d.day_start)))
    FROM agent_status_interval s
    JOIN agent_state a ON a.agent_id = s.agent_id
    JOIN report_interval d ON d.interval_start = d.day_start
        AND s.start_timestamp < d.day_end AND a.last_event_timestamp > d.day_start
    WHERE s.end_timestamp IS NULL
) p
LEFT JOIN agent_state st ON st.agent_id = p.agent_id
GROUP BY p.time_zone, p.local_date, p.agent_id, p.status_name;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE VIEW kpi_agent_status_day AS
SELECT p.time_zone, p.local_date, p.agent_id, MAX(st.username) AS username, p.status_name, MAX(p.status_type) AS status_type,
    SUM(EXTRACT(EPOCH FROM (LEAST(p.stop, p.day_end) - GREATEST(p.start_timestamp, p.day_start))))::double precision AS seconds
FROM (
    SELECT d.time_zone, d.local_date, d.day_start, d.day_end, s.agent_id, s.status_name, s.status_type,
        s.start_timestamp, s.end_timestamp AS stop
    FROM report_interval d
    JOIN agent_status_interval s ON s.unbounded = 0
        AND s.start_timestamp >= d.day_start - interval '1 day' AND s.start_timestamp < d.day_end
        AND s.end_timestamp > d.day_start
    WHERE d.interval_start = d.day_start
    UNION ALL
    SELECT d.time_zone, d.local_date, d.day_start, d.day_end, s.agent_id, s.status_name, s.status_type,
        s.start_timestamp, COALESCE(s.end_timestamp, a.last_event_timestamp)
    FROM report_interval d
    JOIN agent_status_interval s ON s.unbounded = 1 AND s.start_timestamp < d.day_end
    LEFT JOIN agent_state a ON a.agent_id = s.agent_id
    WHERE d.interval_start = d.day_start AND COALESCE(s.end_timestamp, a.last_event_timestamp) > d.day_start
) p
LEFT JOIN agent_state st ON st.agent_id = p.agent_id
GROUP BY p.time_zone, p.local_date, p.agent_id, p.status_name;
-- +goose StatementEnd
DROP INDEX agent_status_interval_long_idx;
DROP INDEX agent_status_interval_open_idx;
DROP INDEX report_interval_day_end_idx;
DROP TABLE agent_status_day;
