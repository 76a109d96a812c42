-- +goose Up
-- kpi_agent_status_day without its GROUP BY: agent_status_day already holds
-- one row per zone, day, agent and status, and an agent has at most one open
-- interval, so each rollup row gets its open part (if any) by a join, and an
-- open part whose status has no rollup row that day is a row of its own.
-- The 00011 view grouped a month's 60,000 rollup rows in a hash aggregate
-- that spilled to disk at the default work_mem. Same columns and meaning
-- (CREATE OR REPLACE keeps kpi_agent_day, which reads it); status_name may
-- be NULL, hence IS NOT DISTINCT FROM.
-- +goose StatementBegin
CREATE OR REPLACE VIEW kpi_agent_status_day AS
WITH open_part AS NOT MATERIALIZED (
    SELECT d.time_zone, d.local_date, s.agent_id, s.status_name, s.status_type,
        EXTRACT(EPOCH FROM (LEAST(a.last_event_timestamp, d.day_end) - GREATEST(s.start_timestamp, d.day_start))) AS seconds
    FROM agent_status_interval s
    JOIN agent_state a ON a.agent_id = s.agent_id
    JOIN report_interval d ON d.interval_start = d.day_start
        AND s.start_timestamp < d.day_end AND a.last_event_timestamp > d.day_start
    WHERE s.end_timestamp IS NULL
)
SELECT r.time_zone, r.local_date, r.agent_id, st.username, r.status_name,
    GREATEST(r.status_type, o.status_type) AS status_type,
    (r.seconds + COALESCE(o.seconds, 0))::double precision AS seconds
FROM agent_status_day r
LEFT JOIN open_part o ON o.time_zone = r.time_zone AND o.local_date = r.local_date AND o.agent_id = r.agent_id
    AND o.status_name IS NOT DISTINCT FROM r.status_name
LEFT JOIN agent_state st ON st.agent_id = r.agent_id
UNION ALL
SELECT o.time_zone, o.local_date, o.agent_id, st.username, o.status_name, o.status_type, o.seconds::double precision
FROM open_part o
LEFT JOIN agent_state st ON st.agent_id = o.agent_id
WHERE NOT EXISTS (SELECT 1 FROM agent_status_day r WHERE r.time_zone = o.time_zone AND r.local_date = o.local_date
    AND r.agent_id = o.agent_id AND r.status_name IS NOT DISTINCT FROM o.status_name);
-- +goose StatementEnd

-- +goose Down
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
