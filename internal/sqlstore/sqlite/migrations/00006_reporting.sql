-- +goose Up
-- SQLite version of the PostgreSQL migration 00006 (see it for what each part
-- is for). Timestamps are ISO-8601 text ending in Z, local_date is text
-- YYYY-MM-DD; durations use julianday() (sqlite3 3.37 and newer).
-- The reporting layer (DESIGN.md "Reporting layer: KPI views", docs/reports.md):
--   report_setting         settings the program keeps for the views (the
--                          service-level threshold, SERVICE_LEVEL_SECONDS)
--   report_interval        one row per 15-minute UTC interval and TIME_ZONE
--                          zone over the span of the stored data
--   agent_status_interval  a table kept at ingest (it was a view over all of
--                          agent_event)
--   kpi_*                  the KPI views
-- Views never use the database's time-zone support: they join report_interval.

CREATE TABLE report_setting (
    name       text PRIMARY KEY,
    value      text NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE report_interval (
    time_zone      text NOT NULL,
    interval_start TEXT NOT NULL,
    interval_end   TEXT NOT NULL,
    local_date     TEXT NOT NULL,
    local_start    TEXT NOT NULL,
    local_hour     integer NOT NULL,
    iso_weekday    integer NOT NULL,
    day_start      TEXT NOT NULL,
    day_end        TEXT NOT NULL,
    PRIMARY KEY (time_zone, interval_start)
);
CREATE INDEX report_interval_date_idx ON report_interval (time_zone, local_date);

-- Status intervals: every distinct (agent, status start) of agent_event opens
-- one (name and type from the earliest event carrying it); it ends at the
-- agent's next status start or LOGOUT, whichever comes first, and is open
-- (end_timestamp NULL) until then. Ingest keeps it equal to that definition
-- whatever order events arrive in. unbounded = 1 while open or when longer
-- than 23 hours, so day reports look back one day for the others.
DROP VIEW IF EXISTS agent_status_interval;
CREATE TABLE agent_status_interval (
    agent_id         text NOT NULL,
    start_timestamp  TEXT NOT NULL,
    status_name      text,
    status_type      text,
    end_timestamp    TEXT,
    duration_seconds REAL,
    unbounded        integer NOT NULL,
    PRIMARY KEY (agent_id, start_timestamp)
);
CREATE INDEX agent_status_interval_start_idx ON agent_status_interval (start_timestamp);
CREATE INDEX agent_status_interval_unbounded_idx ON agent_status_interval (unbounded, start_timestamp);

-- +goose StatementBegin
INSERT INTO agent_status_interval (agent_id, start_timestamp, status_name, status_type, end_timestamp, duration_seconds, unbounded)
WITH starts AS (
    SELECT agent_id, status_start_timestamp AS ts, status_name, status_type,
        row_number() OVER (PARTITION BY agent_id, status_start_timestamp
            ORDER BY event_timestamp, event_id) AS rn
    FROM agent_event
    WHERE agent_id IS NOT NULL AND status_start_timestamp IS NOT NULL
), bounds AS (
    SELECT agent_id, ts, 1 AS kind, status_name, status_type FROM starts WHERE rn = 1
    UNION ALL
    SELECT agent_id, event_timestamp, 0, NULL, NULL FROM agent_event
    WHERE event_type = 'LOGOUT' AND agent_id IS NOT NULL
), ordered AS (
    SELECT agent_id, ts, kind, status_name, status_type,
        lead(ts) OVER (PARTITION BY agent_id ORDER BY ts, kind) AS next_ts
    FROM bounds
)
SELECT agent_id, ts, status_name, status_type, next_ts,
    ROUND((julianday(next_ts) - julianday(ts)) * 86400.0, 3),
    CASE WHEN next_ts IS NULL OR julianday(next_ts) - julianday(ts) > 23.0 / 24 THEN 1 ELSE 0 END
FROM ordered
WHERE kind = 1;
-- +goose StatementEnd

-- kpi_contact: one row per contact (the newest version of its record), with
-- the flags and whole-second durations every queue and agent figure is
-- built from. interval_start is the 15-minute UTC interval of the
-- initiation timestamp, where Connect's historical metrics count a contact.
-- +goose StatementBegin
CREATE VIEW kpi_contact AS
SELECT x.contact_id, x.initial_contact_id, x.previous_contact_id, x.next_contact_id,
    x.channel, x.initiation_method, x.queue_id, x.queue_name, x.agent_id, x.agent_username,
    x.initiation_timestamp, x.enqueue_timestamp, x.dequeue_timestamp,
    x.connected_to_agent_timestamp, x.disconnect_timestamp, x.disconnect_reason,
    strftime('%Y-%m-%dT%H:', x.initiation_timestamp)
        || printf('%02d', CAST(strftime('%M', x.initiation_timestamp) AS INTEGER) / 15 * 15) || ':00.000Z' AS interval_start,
    x.queued, x.answered, x.handled,
    CASE WHEN x.queued = 1 AND x.answered = 0 AND x.callback = 0 AND x.next_contact_id IS NULL
        AND x.disconnect_timestamp IS NOT NULL THEN 1 ELSE 0 END AS abandoned,
    CASE WHEN x.handled = 1 AND x.next_contact_id IS NOT NULL THEN 1 ELSE 0 END AS transferred_out,
    x.callback,
    CASE WHEN x.queued = 1 AND (x.dequeue_timestamp IS NOT NULL OR x.answered = 1
        OR x.disconnect_timestamp IS NOT NULL) THEN 1 ELSE 0 END AS left_queue,
    CASE WHEN x.handled = 1 AND x.number_of_holds > 0 THEN 1 ELSE 0 END AS put_on_hold,
    CASE WHEN x.queued = 1 THEN x.queue_duration_seconds END AS queue_seconds,
    CASE WHEN x.handled = 1 THEN COALESCE(x.agent_interaction_duration_seconds, 0) END AS talk_seconds,
    CASE WHEN x.handled = 1 THEN COALESCE(x.customer_hold_duration_seconds, 0) END AS hold_seconds,
    CASE WHEN x.handled = 1 THEN x.after_contact_work_duration_seconds END AS acw_seconds,
    CASE WHEN x.handled = 1 THEN COALESCE(x.agent_interaction_duration_seconds, 0)
        + COALESCE(x.customer_hold_duration_seconds, 0)
        + COALESCE(x.after_contact_work_duration_seconds, 0) END AS handle_seconds
FROM (
    SELECT c.*,
        CASE WHEN c.enqueue_timestamp IS NOT NULL AND c.queue_id IS NOT NULL THEN 1 ELSE 0 END AS queued,
        CASE WHEN c.enqueue_timestamp IS NOT NULL AND c.queue_id IS NOT NULL
            AND c.connected_to_agent_timestamp IS NOT NULL THEN 1 ELSE 0 END AS answered,
        CASE WHEN c.connected_to_agent_timestamp IS NOT NULL THEN 1 ELSE 0 END AS handled,
        CASE WHEN c.initiation_method = 'CALLBACK' THEN 1 ELSE 0 END AS callback
    FROM contact_record c
) x;
-- +goose StatementEnd

-- kpi_queue_interval: per zone, 15-minute interval, queue and channel.
-- +goose StatementBegin
CREATE VIEW kpi_queue_interval AS
SELECT g.*,
    CASE WHEN g.contacts_left_queue > 0 THEN 100.0 * g.answered_within_sl / g.contacts_left_queue END AS service_level_pct,
    CASE WHEN g.contacts_queued > 0 THEN 100.0 * g.contacts_abandoned / g.contacts_queued END AS abandonment_rate_pct,
    CASE WHEN g.contacts_handled > 0 THEN 1.0 * g.handle_seconds / g.contacts_handled END AS avg_handle_seconds,
    CASE WHEN g.contacts_answered > 0 THEN 1.0 * g.answer_seconds / g.contacts_answered END AS avg_answer_seconds,
    CASE WHEN g.acw_contacts > 0 THEN 1.0 * g.acw_seconds / g.acw_contacts END AS avg_acw_seconds,
    CASE WHEN g.contacts_put_on_hold > 0 THEN 1.0 * g.hold_seconds_on_hold / g.contacts_put_on_hold END AS avg_hold_seconds,
    CASE WHEN g.contacts_abandoned > 0 THEN 1.0 * g.abandon_seconds / g.contacts_abandoned END AS avg_abandon_seconds
FROM (
    SELECT r.time_zone, r.interval_start, r.interval_end, r.local_date, r.local_start, r.local_hour, r.iso_weekday,
        k.queue_id, MAX(k.queue_name) AS queue_name, k.channel,
        SUM(k.queued) AS contacts_queued,
        SUM(k.answered) AS contacts_answered,
        SUM(k.handled) AS contacts_handled,
        SUM(k.abandoned) AS contacts_abandoned,
        SUM(k.left_queue) AS contacts_left_queue,
        SUM(CASE WHEN k.answered = 1 AND k.queue_seconds < s.sl THEN 1 ELSE 0 END) AS answered_within_sl,
        MAX(s.sl) AS sl_threshold_seconds,
        SUM(k.transferred_out) AS transferred_out,
        SUM(k.callback * k.queued) AS callbacks,
        SUM(k.put_on_hold) AS contacts_put_on_hold,
        COALESCE(SUM(k.handle_seconds), 0) AS handle_seconds,
        COALESCE(SUM(k.talk_seconds), 0) AS talk_seconds,
        COALESCE(SUM(k.hold_seconds), 0) AS hold_seconds,
        COALESCE(SUM(CASE WHEN k.put_on_hold = 1 THEN k.hold_seconds END), 0) AS hold_seconds_on_hold,
        COALESCE(SUM(k.acw_seconds), 0) AS acw_seconds,
        COUNT(k.acw_seconds) AS acw_contacts,
        COALESCE(SUM(CASE WHEN k.answered = 1 THEN k.queue_seconds END), 0) AS answer_seconds,
        COALESCE(SUM(CASE WHEN k.abandoned = 1 THEN k.queue_seconds END), 0) AS abandon_seconds,
        MAX(CASE WHEN k.left_queue = 1 THEN k.queue_seconds END) AS max_queue_seconds
    FROM report_interval r
    JOIN kpi_contact k ON k.initiation_timestamp >= r.interval_start AND k.initiation_timestamp < r.interval_end
    CROSS JOIN (SELECT COALESCE(MAX(CASE WHEN name = 'service_level_seconds' THEN CAST(value AS INTEGER) END), 20) AS sl
        FROM report_setting) s
    WHERE k.enqueue_timestamp IS NOT NULL AND k.queue_id IS NOT NULL
    GROUP BY r.time_zone, r.interval_start, r.interval_end, r.local_date, r.local_start, r.local_hour, r.iso_weekday,
        k.queue_id, k.channel
) g;
-- +goose StatementEnd

-- kpi_queue_day: the same figures per local day, rolled up from the
-- interval counts and sums (never averages of averages).
-- +goose StatementBegin
CREATE VIEW kpi_queue_day AS
SELECT g.*,
    CASE WHEN g.contacts_left_queue > 0 THEN 100.0 * g.answered_within_sl / g.contacts_left_queue END AS service_level_pct,
    CASE WHEN g.contacts_queued > 0 THEN 100.0 * g.contacts_abandoned / g.contacts_queued END AS abandonment_rate_pct,
    CASE WHEN g.contacts_handled > 0 THEN 1.0 * g.handle_seconds / g.contacts_handled END AS avg_handle_seconds,
    CASE WHEN g.contacts_answered > 0 THEN 1.0 * g.answer_seconds / g.contacts_answered END AS avg_answer_seconds,
    CASE WHEN g.acw_contacts > 0 THEN 1.0 * g.acw_seconds / g.acw_contacts END AS avg_acw_seconds,
    CASE WHEN g.contacts_put_on_hold > 0 THEN 1.0 * g.hold_seconds_on_hold / g.contacts_put_on_hold END AS avg_hold_seconds,
    CASE WHEN g.contacts_abandoned > 0 THEN 1.0 * g.abandon_seconds / g.contacts_abandoned END AS avg_abandon_seconds
FROM (
    SELECT time_zone, local_date, queue_id, MAX(queue_name) AS queue_name, channel,
        SUM(contacts_queued) AS contacts_queued, SUM(contacts_answered) AS contacts_answered,
        SUM(contacts_handled) AS contacts_handled, SUM(contacts_abandoned) AS contacts_abandoned,
        SUM(contacts_left_queue) AS contacts_left_queue, SUM(answered_within_sl) AS answered_within_sl,
        MAX(sl_threshold_seconds) AS sl_threshold_seconds, SUM(transferred_out) AS transferred_out,
        SUM(callbacks) AS callbacks, SUM(contacts_put_on_hold) AS contacts_put_on_hold,
        SUM(handle_seconds) AS handle_seconds, SUM(talk_seconds) AS talk_seconds, SUM(hold_seconds) AS hold_seconds,
        SUM(hold_seconds_on_hold) AS hold_seconds_on_hold, SUM(acw_seconds) AS acw_seconds,
        SUM(acw_contacts) AS acw_contacts, SUM(answer_seconds) AS answer_seconds,
        SUM(abandon_seconds) AS abandon_seconds, MAX(max_queue_seconds) AS max_queue_seconds
    FROM kpi_queue_interval
    GROUP BY time_zone, local_date, queue_id, channel
) g;
-- +goose StatementEnd

-- kpi_agent_status_day: seconds per agent and status in each local day,
-- cut at local midnight. An open status ends at the agent's last evidence
-- (agent_state.last_event_timestamp: its last event, heartbeats included),
-- never at the wall clock. Closed intervals of at most a day are found by a
-- range on start_timestamp (day start less one day .. day end), so a
-- one-day query reads one or two days of intervals whatever the history.
-- +goose StatementBegin
CREATE VIEW kpi_agent_status_day AS
SELECT p.time_zone, p.local_date, p.agent_id, MAX(st.username) AS username, p.status_name, MAX(p.status_type) AS status_type,
    ROUND(SUM((julianday(MIN(p.stop, p.day_end)) - julianday(MAX(p.start_timestamp, p.day_start))) * 86400.0), 3) AS seconds
FROM (
    SELECT d.time_zone, d.local_date, d.day_start, d.day_end, s.agent_id, s.status_name, s.status_type,
        s.start_timestamp, s.end_timestamp AS stop
    FROM report_interval d
    JOIN agent_status_interval s ON s.unbounded = 0
        AND s.start_timestamp >= strftime('%Y-%m-%dT%H:%M:%fZ', d.day_start, '-1 day') AND s.start_timestamp < d.day_end
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

-- kpi_agent_day: per zone, local day and agent: contacts handled (by the
-- local day of their initiation, as the queue views), their whole-second
-- durations, time in status (routable = Available) and occupancy: time on
-- contacts (handle time) as a share of available time.
-- +goose StatementBegin
CREATE VIEW kpi_agent_day AS
SELECT g.time_zone, g.local_date, g.agent_id, MAX(st.username) AS username,
    SUM(g.contacts_handled) AS contacts_handled, SUM(g.handle_seconds) AS handle_seconds,
    SUM(g.talk_seconds) AS talk_seconds, SUM(g.hold_seconds) AS hold_seconds, SUM(g.acw_seconds) AS acw_seconds,
    CASE WHEN SUM(g.contacts_handled) > 0 THEN 1.0 * SUM(g.handle_seconds) / SUM(g.contacts_handled) END AS avg_handle_seconds,
    SUM(g.online_seconds) AS online_seconds, SUM(g.available_seconds) AS available_seconds,
    SUM(g.handle_seconds) AS on_contact_seconds,
    CASE WHEN SUM(g.available_seconds) > 0 THEN 100.0 * SUM(g.handle_seconds) / SUM(g.available_seconds) END AS occupancy_pct
FROM (
    SELECT r.time_zone, r.local_date, k.agent_id, SUM(k.handled) AS contacts_handled,
        COALESCE(SUM(k.handle_seconds), 0) AS handle_seconds, COALESCE(SUM(k.talk_seconds), 0) AS talk_seconds,
        COALESCE(SUM(k.hold_seconds), 0) AS hold_seconds, COALESCE(SUM(k.acw_seconds), 0) AS acw_seconds,
        0 AS online_seconds, 0 AS available_seconds
    FROM report_interval r
    JOIN kpi_contact k ON k.initiation_timestamp >= r.interval_start AND k.initiation_timestamp < r.interval_end
    WHERE k.connected_to_agent_timestamp IS NOT NULL AND k.agent_id IS NOT NULL
    GROUP BY r.time_zone, r.local_date, k.agent_id
    UNION ALL
    SELECT time_zone, local_date, agent_id, 0, 0, 0, 0, 0,
        SUM(seconds), SUM(CASE WHEN status_type = 'ROUTABLE' THEN seconds ELSE 0 END)
    FROM kpi_agent_status_day
    GROUP BY time_zone, local_date, agent_id
) g
LEFT JOIN agent_state st ON st.agent_id = g.agent_id
GROUP BY g.time_zone, g.local_date, g.agent_id;
-- +goose StatementEnd

-- kpi_connect_queue_interval: Connect's own GetMetricDataV2 figures
-- (queue_interval_metric), one column per metric, averages recomputed from
-- their __SUM and __COUNT parts.
-- +goose StatementBegin
CREATE VIEW kpi_connect_queue_interval AS
SELECT g.*,
    CASE WHEN g.contacts_left_queue > 0 THEN 100.0 * g.answered_in_20 / g.contacts_left_queue END AS service_level_20_pct,
    CASE WHEN g.contacts_left_queue > 0 THEN 100.0 * g.answered_in_60 / g.contacts_left_queue END AS service_level_60_pct,
    CASE WHEN g.contacts_queued > 0 THEN 100.0 * g.contacts_abandoned / g.contacts_queued END AS abandonment_rate_pct,
    CASE WHEN g.handle_count > 0 THEN g.handle_sum / g.handle_count END AS avg_handle_seconds,
    CASE WHEN g.answer_count > 0 THEN g.answer_sum / g.answer_count END AS avg_answer_seconds,
    CASE WHEN g.acw_count > 0 THEN g.acw_sum / g.acw_count END AS avg_acw_seconds,
    CASE WHEN g.hold_count > 0 THEN g.hold_sum / g.hold_count END AS avg_hold_seconds,
    CASE WHEN g.abandon_count > 0 THEN g.abandon_sum / g.abandon_count END AS avg_abandon_seconds
FROM (
    SELECT r.time_zone, r.interval_start, r.interval_end, r.local_date, r.local_start, r.local_hour, r.iso_weekday,
        m.queue_id, m.channel,
        MAX(CASE WHEN m.metric_name = 'CONTACTS_CREATED' THEN m.value END) AS contacts_created,
        MAX(CASE WHEN m.metric_name = 'CONTACTS_QUEUED' THEN m.value END) AS contacts_queued,
        MAX(CASE WHEN m.metric_name = 'CONTACTS_HANDLED' THEN m.value END) AS contacts_handled,
        MAX(CASE WHEN m.metric_name = 'CONTACTS_ABANDONED' THEN m.value END) AS contacts_abandoned,
        MAX(CASE WHEN m.metric_name = 'CONTACTS_TRANSFERRED_OUT' THEN m.value END) AS transferred_out,
        MAX(CASE WHEN m.metric_name = 'CONTACTS_PUT_ON_HOLD' THEN m.value END) AS contacts_put_on_hold,
        MAX(CASE WHEN m.metric_name = 'SERVICE_LEVEL_20__COUNT' THEN m.value END) AS contacts_left_queue,
        MAX(CASE WHEN m.metric_name = 'SUM_CONTACTS_ANSWERED_IN_20' THEN m.value END) AS answered_in_20,
        MAX(CASE WHEN m.metric_name = 'SUM_CONTACTS_ANSWERED_IN_60' THEN m.value END) AS answered_in_60,
        MAX(CASE WHEN m.metric_name = 'SUM_CONTACTS_ABANDONED_IN_20' THEN m.value END) AS abandoned_in_20,
        MAX(CASE WHEN m.metric_name = 'SUM_CONTACTS_ABANDONED_IN_60' THEN m.value END) AS abandoned_in_60,
        MAX(CASE WHEN m.metric_name = 'SUM_HANDLE_TIME' THEN m.value END) AS handle_seconds,
        MAX(CASE WHEN m.metric_name = 'SUM_HOLD_TIME' THEN m.value END) AS hold_seconds,
        MAX(CASE WHEN m.metric_name = 'SUM_AFTER_CONTACT_WORK_TIME' THEN m.value END) AS acw_seconds,
        MAX(CASE WHEN m.metric_name = 'SUM_INTERACTION_TIME' THEN m.value END) AS talk_seconds,
        MAX(CASE WHEN m.metric_name = 'MAX_QUEUED_TIME' THEN m.value END) AS max_queue_seconds,
        MAX(CASE WHEN m.metric_name = 'AVG_HANDLE_TIME__SUM' THEN m.value END) AS handle_sum,
        MAX(CASE WHEN m.metric_name = 'AVG_HANDLE_TIME__COUNT' THEN m.value END) AS handle_count,
        MAX(CASE WHEN m.metric_name = 'AVG_QUEUE_ANSWER_TIME__SUM' THEN m.value END) AS answer_sum,
        MAX(CASE WHEN m.metric_name = 'AVG_QUEUE_ANSWER_TIME__COUNT' THEN m.value END) AS answer_count,
        MAX(CASE WHEN m.metric_name = 'AVG_AFTER_CONTACT_WORK_TIME__SUM' THEN m.value END) AS acw_sum,
        MAX(CASE WHEN m.metric_name = 'AVG_AFTER_CONTACT_WORK_TIME__COUNT' THEN m.value END) AS acw_count,
        MAX(CASE WHEN m.metric_name = 'AVG_HOLD_TIME__SUM' THEN m.value END) AS hold_sum,
        MAX(CASE WHEN m.metric_name = 'AVG_HOLD_TIME__COUNT' THEN m.value END) AS hold_count,
        MAX(CASE WHEN m.metric_name = 'AVG_ABANDON_TIME__SUM' THEN m.value END) AS abandon_sum,
        MAX(CASE WHEN m.metric_name = 'AVG_ABANDON_TIME__COUNT' THEN m.value END) AS abandon_count
    FROM report_interval r
    JOIN queue_interval_metric m ON m.interval_start = r.interval_start
    GROUP BY r.time_zone, r.interval_start, r.interval_end, r.local_date, r.local_start, r.local_hour, r.iso_weekday,
        m.queue_id, m.channel
) g;
-- +goose StatementEnd

-- +goose Down
DROP VIEW kpi_connect_queue_interval;
DROP VIEW kpi_agent_day;
DROP VIEW kpi_agent_status_day;
DROP VIEW kpi_queue_day;
DROP VIEW kpi_queue_interval;
DROP VIEW kpi_contact;
DROP TABLE agent_status_interval;
-- +goose StatementBegin
CREATE VIEW agent_status_interval AS
WITH starts AS (
    SELECT agent_id, status_start_timestamp AS ts, status_name, status_type,
        row_number() OVER (PARTITION BY agent_id, status_start_timestamp
            ORDER BY event_timestamp, event_id) AS rn
    FROM agent_event
    WHERE agent_id IS NOT NULL AND status_start_timestamp IS NOT NULL
), bounds AS (
    SELECT agent_id, ts, 1 AS kind, status_name, status_type FROM starts WHERE rn = 1
    UNION ALL
    SELECT agent_id, event_timestamp, 0, NULL, NULL FROM agent_event
    WHERE event_type = 'LOGOUT' AND agent_id IS NOT NULL AND event_timestamp IS NOT NULL
), ordered AS (
    SELECT agent_id, ts, kind, status_name, status_type,
        lead(ts) OVER (PARTITION BY agent_id ORDER BY ts, kind) AS next_ts
    FROM bounds
)
SELECT agent_id, ts AS start_timestamp, status_name, status_type, next_ts AS end_timestamp,
    unixepoch(next_ts, 'subsec') - unixepoch(ts, 'subsec') AS duration_seconds
FROM ordered
WHERE kind = 1;
-- +goose StatementEnd
DROP TABLE report_interval;
DROP TABLE report_setting;
