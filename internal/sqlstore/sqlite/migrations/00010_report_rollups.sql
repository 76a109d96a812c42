-- +goose Up
-- SQLite version of the PostgreSQL migration 00010 (see it for the design).
-- Report rollups (internal/sqlstore/rollup.go, docs/reports.md "Speed"):
--   queue_interval_rollup          kpi_contact's figures per 15-minute UTC interval, queue and channel
--   agent_interval_rollup          kpi_contact's agent figures per 15-minute UTC interval and agent
--   agent_day_rollup               agent_interval_rollup summed per zone, local day and agent
--                                  (report_interval), kept by difference
--   connect_queue_interval_rollup  queue_interval_metric pivoted, per interval, queue and channel
-- The program keeps them in the transaction that writes contact_record or
-- queue_interval_metric: it recomputes every interval the write touched
-- (the old and new intervals of a replaced contact) from the source, so
-- they always equal the definitions in rollup.go. Counts, sums and maxima,
-- never averages. The program fills them from the stored data at its first
-- start after this migration (PrepareReports; Store.RebuildRollups), and
-- rebuilds them when SERVICE_LEVEL_SECONDS changes.
-- kpi_queue_interval, kpi_queue_day, the contact figures of kpi_agent_day
-- and kpi_connect_queue_interval now read them joined to report_interval:
-- same columns, types and values as migration 00006's definitions.

CREATE TABLE queue_interval_rollup (
    interval_start       TEXT NOT NULL,
    queue_id             TEXT NOT NULL,
    channel              TEXT NOT NULL,
    queue_name           TEXT,
    contacts_queued      INTEGER NOT NULL,
    contacts_answered    INTEGER NOT NULL,
    contacts_handled     INTEGER NOT NULL,
    contacts_abandoned   INTEGER NOT NULL,
    contacts_left_queue  INTEGER NOT NULL,
    answered_within_sl   INTEGER NOT NULL,
    sl_threshold_seconds INTEGER NOT NULL,
    transferred_out      INTEGER NOT NULL,
    callbacks            INTEGER NOT NULL,
    contacts_put_on_hold INTEGER NOT NULL,
    handle_seconds       INTEGER NOT NULL,
    talk_seconds         INTEGER NOT NULL,
    hold_seconds         INTEGER NOT NULL,
    hold_seconds_on_hold INTEGER NOT NULL,
    acw_seconds          INTEGER NOT NULL,
    acw_contacts         INTEGER NOT NULL,
    answer_seconds       INTEGER NOT NULL,
    abandon_seconds      INTEGER NOT NULL,
    max_queue_seconds    INTEGER,
    PRIMARY KEY (interval_start, queue_id, channel)
);

CREATE TABLE agent_interval_rollup (
    interval_start   TEXT NOT NULL,
    agent_id         TEXT NOT NULL,
    contacts_handled INTEGER NOT NULL,
    handle_seconds   INTEGER NOT NULL,
    talk_seconds     INTEGER NOT NULL,
    hold_seconds     INTEGER NOT NULL,
    acw_seconds      INTEGER NOT NULL,
    PRIMARY KEY (interval_start, agent_id)
);

CREATE TABLE agent_day_rollup (
    time_zone        TEXT NOT NULL,
    local_date       TEXT NOT NULL,
    agent_id         TEXT NOT NULL,
    contacts_handled INTEGER NOT NULL,
    handle_seconds   INTEGER NOT NULL,
    talk_seconds     INTEGER NOT NULL,
    hold_seconds     INTEGER NOT NULL,
    acw_seconds      INTEGER NOT NULL,
    PRIMARY KEY (time_zone, local_date, agent_id)
);
CREATE INDEX agent_day_rollup_empty_idx ON agent_day_rollup (contacts_handled) WHERE contacts_handled = 0;

CREATE TABLE connect_queue_interval_rollup (
    interval_start       TEXT NOT NULL,
    queue_id             TEXT NOT NULL,
    channel              TEXT NOT NULL,
    contacts_created     REAL,
    contacts_queued      REAL,
    contacts_handled     REAL,
    contacts_abandoned   REAL,
    transferred_out      REAL,
    contacts_put_on_hold REAL,
    contacts_left_queue  REAL,
    answered_in_20       REAL,
    answered_in_60       REAL,
    abandoned_in_20      REAL,
    abandoned_in_60      REAL,
    handle_seconds       REAL,
    hold_seconds         REAL,
    acw_seconds          REAL,
    talk_seconds         REAL,
    max_queue_seconds    REAL,
    handle_sum           REAL,
    handle_count         REAL,
    answer_sum           REAL,
    answer_count         REAL,
    acw_sum              REAL,
    acw_count            REAL,
    hold_sum             REAL,
    hold_count           REAL,
    abandon_sum          REAL,
    abandon_count        REAL,
    PRIMARY KEY (interval_start, queue_id, channel)
);

DROP VIEW kpi_queue_day;
DROP VIEW kpi_queue_interval;
-- +goose StatementBegin
CREATE VIEW kpi_queue_interval AS
SELECT r.time_zone, r.interval_start, r.interval_end, r.local_date, r.local_start, r.local_hour, r.iso_weekday,
    q.queue_id, q.queue_name, NULLIF(q.channel, '') AS channel,
    q.contacts_queued, q.contacts_answered, q.contacts_handled, q.contacts_abandoned, q.contacts_left_queue, q.answered_within_sl,
    q.sl_threshold_seconds, q.transferred_out, q.callbacks, q.contacts_put_on_hold,
    q.handle_seconds, q.talk_seconds, q.hold_seconds, q.hold_seconds_on_hold, q.acw_seconds,
    q.acw_contacts, q.answer_seconds, q.abandon_seconds, q.max_queue_seconds,
    CASE WHEN q.contacts_left_queue > 0 THEN 100.0 * q.answered_within_sl / q.contacts_left_queue END AS service_level_pct,
    CASE WHEN q.contacts_queued > 0 THEN 100.0 * q.contacts_abandoned / q.contacts_queued END AS abandonment_rate_pct,
    CASE WHEN q.contacts_handled > 0 THEN 1.0 * q.handle_seconds / q.contacts_handled END AS avg_handle_seconds,
    CASE WHEN q.contacts_answered > 0 THEN 1.0 * q.answer_seconds / q.contacts_answered END AS avg_answer_seconds,
    CASE WHEN q.acw_contacts > 0 THEN 1.0 * q.acw_seconds / q.acw_contacts END AS avg_acw_seconds,
    CASE WHEN q.contacts_put_on_hold > 0 THEN 1.0 * q.hold_seconds_on_hold / q.contacts_put_on_hold END AS avg_hold_seconds,
    CASE WHEN q.contacts_abandoned > 0 THEN 1.0 * q.abandon_seconds / q.contacts_abandoned END AS avg_abandon_seconds
FROM report_interval r
JOIN queue_interval_rollup q ON q.interval_start = r.interval_start;
-- +goose StatementEnd

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
    SELECT r.time_zone, r.local_date, q.queue_id, MAX(q.queue_name) AS queue_name, NULLIF(q.channel, '') AS channel,
        SUM(q.contacts_queued) AS contacts_queued, SUM(q.contacts_answered) AS contacts_answered, SUM(q.contacts_handled) AS contacts_handled, SUM(q.contacts_abandoned) AS contacts_abandoned, SUM(q.contacts_left_queue) AS contacts_left_queue, SUM(q.answered_within_sl) AS answered_within_sl,
        MAX(q.sl_threshold_seconds) AS sl_threshold_seconds, SUM(q.transferred_out) AS transferred_out, SUM(q.callbacks) AS callbacks, SUM(q.contacts_put_on_hold) AS contacts_put_on_hold, SUM(q.handle_seconds) AS handle_seconds, SUM(q.talk_seconds) AS talk_seconds, SUM(q.hold_seconds) AS hold_seconds, SUM(q.hold_seconds_on_hold) AS hold_seconds_on_hold, SUM(q.acw_seconds) AS acw_seconds, SUM(q.acw_contacts) AS acw_contacts, SUM(q.answer_seconds) AS answer_seconds, SUM(q.abandon_seconds) AS abandon_seconds,
        MAX(q.max_queue_seconds) AS max_queue_seconds
    FROM report_interval r
    JOIN queue_interval_rollup q ON q.interval_start = r.interval_start
    GROUP BY r.time_zone, r.local_date, q.queue_id, q.channel
) g;
-- +goose StatementEnd

DROP VIEW kpi_agent_day;
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
    SELECT time_zone, local_date, agent_id, contacts_handled, handle_seconds, talk_seconds, hold_seconds, acw_seconds,
        0 AS online_seconds, 0 AS available_seconds
    FROM agent_day_rollup
    UNION ALL
    SELECT time_zone, local_date, agent_id, 0, 0, 0, 0, 0,
        SUM(seconds), SUM(CASE WHEN status_type = 'ROUTABLE' THEN seconds ELSE 0 END)
    FROM kpi_agent_status_day
    GROUP BY time_zone, local_date, agent_id
) g
LEFT JOIN agent_state st ON st.agent_id = g.agent_id
GROUP BY g.time_zone, g.local_date, g.agent_id;
-- +goose StatementEnd

DROP VIEW kpi_connect_queue_interval;
-- +goose StatementBegin
CREATE VIEW kpi_connect_queue_interval AS
SELECT r.time_zone, r.interval_start, r.interval_end, r.local_date, r.local_start, r.local_hour, r.iso_weekday,
    c.queue_id, c.channel,
    c.contacts_created, c.contacts_queued, c.contacts_handled, c.contacts_abandoned, c.transferred_out, c.contacts_put_on_hold, c.contacts_left_queue, c.answered_in_20, c.answered_in_60, c.abandoned_in_20, c.abandoned_in_60, c.handle_seconds, c.hold_seconds, c.acw_seconds, c.talk_seconds, c.max_queue_seconds, c.handle_sum, c.handle_count, c.answer_sum, c.answer_count, c.acw_sum, c.acw_count, c.hold_sum, c.hold_count, c.abandon_sum, c.abandon_count,
    CASE WHEN c.contacts_left_queue > 0 THEN 100.0 * c.answered_in_20 / c.contacts_left_queue END AS service_level_20_pct,
    CASE WHEN c.contacts_left_queue > 0 THEN 100.0 * c.answered_in_60 / c.contacts_left_queue END AS service_level_60_pct,
    CASE WHEN c.contacts_queued > 0 THEN 100.0 * c.contacts_abandoned / c.contacts_queued END AS abandonment_rate_pct,
    CASE WHEN c.handle_count > 0 THEN c.handle_sum / c.handle_count END AS avg_handle_seconds,
    CASE WHEN c.answer_count > 0 THEN c.answer_sum / c.answer_count END AS avg_answer_seconds,
    CASE WHEN c.acw_count > 0 THEN c.acw_sum / c.acw_count END AS avg_acw_seconds,
    CASE WHEN c.hold_count > 0 THEN c.hold_sum / c.hold_count END AS avg_hold_seconds,
    CASE WHEN c.abandon_count > 0 THEN c.abandon_sum / c.abandon_count END AS avg_abandon_seconds
FROM report_interval r
JOIN connect_queue_interval_rollup c ON c.interval_start = r.interval_start;
-- +goose StatementEnd

-- +goose Down
DROP VIEW kpi_queue_day;
DROP VIEW kpi_agent_day;
DROP VIEW kpi_connect_queue_interval;
DROP VIEW kpi_queue_interval;
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
DROP TABLE connect_queue_interval_rollup;
DROP TABLE agent_day_rollup;
DROP TABLE agent_interval_rollup;
DROP TABLE queue_interval_rollup;
DELETE FROM report_setting WHERE name = 'rollup_service_level_seconds';
