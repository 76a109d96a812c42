-- +goose Up
-- contact_kpi: kpi_contact's rows kept as a table, in the transaction that
-- writes contact_record, and kpi_contact reads it. A month of kpi_contact
-- (834,000 rows at 1,000 agents) evaluated the view's flags and durations
-- for every contact it returned and read contact_record's wider rows
-- through its index; now it reads the table's rows as they are stored, in
-- the order contacts arrive (roughly their initiation), with every column
-- already computed. Same columns, types and values (CREATE OR REPLACE
-- VIEW keeps them; the table is created from the view).
--
-- Statement triggers with transition tables keep it (one set-based
-- statement per statement that writes contact_record, whoever writes it:
-- the store's COPY and upserts, maintain's deletes, hand-written SQL). A
-- contact's row is a function of its contact_record row, so replays,
-- duplicates and out-of-order versions leave it as contact_record is; rows
-- an update leaves the same (maintain clearing raw) are not written.
CREATE TABLE contact_kpi AS SELECT * FROM kpi_contact WITH NO DATA;
ALTER TABLE contact_kpi ADD PRIMARY KEY (contact_id);

-- +goose StatementBegin
CREATE FUNCTION contact_kpi_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contact_kpi AS k
    SELECT x.contact_id, x.initial_contact_id, x.previous_contact_id, x.next_contact_id,
        x.channel, x.initiation_method, x.queue_id, x.queue_name, x.agent_id, x.agent_username,
        x.initiation_timestamp, x.enqueue_timestamp, x.dequeue_timestamp,
        x.connected_to_agent_timestamp, x.disconnect_timestamp, x.disconnect_reason,
        date_bin('15 minutes'::interval, x.initiation_timestamp, '2000-01-01 00:00:00+00'::timestamptz),
        x.queued, x.answered, x.handled,
        CASE WHEN x.queued = 1 AND x.answered = 0 AND x.callback = 0 AND x.next_contact_id IS NULL
            AND x.disconnect_timestamp IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN x.handled = 1 AND x.next_contact_id IS NOT NULL THEN 1 ELSE 0 END,
        x.callback,
        CASE WHEN x.queued = 1 AND (x.dequeue_timestamp IS NOT NULL OR x.answered = 1
            OR x.disconnect_timestamp IS NOT NULL) THEN 1 ELSE 0 END,
        CASE WHEN x.handled = 1 AND x.number_of_holds > 0 THEN 1 ELSE 0 END,
        CASE WHEN x.queued = 1 THEN x.queue_duration_seconds END,
        CASE WHEN x.handled = 1 THEN COALESCE(x.agent_interaction_duration_seconds, 0) END,
        CASE WHEN x.handled = 1 THEN COALESCE(x.customer_hold_duration_seconds, 0) END,
        CASE WHEN x.handled = 1 THEN x.after_contact_work_duration_seconds END,
        CASE WHEN x.handled = 1 THEN COALESCE(x.agent_interaction_duration_seconds, 0)
            + COALESCE(x.customer_hold_duration_seconds, 0)
            + COALESCE(x.after_contact_work_duration_seconds, 0) END
    FROM (
        SELECT c.*,
            CASE WHEN c.enqueue_timestamp IS NOT NULL AND c.queue_id IS NOT NULL THEN 1 ELSE 0 END AS queued,
            CASE WHEN c.enqueue_timestamp IS NOT NULL AND c.queue_id IS NOT NULL
                AND c.connected_to_agent_timestamp IS NOT NULL THEN 1 ELSE 0 END AS answered,
            CASE WHEN c.connected_to_agent_timestamp IS NOT NULL THEN 1 ELSE 0 END AS handled,
            CASE WHEN c.initiation_method = 'CALLBACK' THEN 1 ELSE 0 END AS callback
        FROM contact_kpi_changed c
    ) x
    ON CONFLICT (contact_id) DO UPDATE SET
        initial_contact_id = excluded.initial_contact_id, previous_contact_id = excluded.previous_contact_id,
        next_contact_id = excluded.next_contact_id, channel = excluded.channel,
        initiation_method = excluded.initiation_method, queue_id = excluded.queue_id,
        queue_name = excluded.queue_name, agent_id = excluded.agent_id, agent_username = excluded.agent_username,
        initiation_timestamp = excluded.initiation_timestamp, enqueue_timestamp = excluded.enqueue_timestamp,
        dequeue_timestamp = excluded.dequeue_timestamp,
        connected_to_agent_timestamp = excluded.connected_to_agent_timestamp,
        disconnect_timestamp = excluded.disconnect_timestamp, disconnect_reason = excluded.disconnect_reason,
        interval_start = excluded.interval_start, queued = excluded.queued, answered = excluded.answered,
        handled = excluded.handled, abandoned = excluded.abandoned, transferred_out = excluded.transferred_out,
        callback = excluded.callback, left_queue = excluded.left_queue, put_on_hold = excluded.put_on_hold,
        queue_seconds = excluded.queue_seconds, talk_seconds = excluded.talk_seconds,
        hold_seconds = excluded.hold_seconds, acw_seconds = excluded.acw_seconds,
        handle_seconds = excluded.handle_seconds
    WHERE k IS DISTINCT FROM excluded;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION contact_kpi_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM contact_kpi;
    ELSE
        DELETE FROM contact_kpi k USING contact_kpi_removed o WHERE k.contact_id = o.contact_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Created before the rows are copied: from here on writers of
-- contact_record wait for this migration's transaction.
CREATE TRIGGER contact_kpi_insert AFTER INSERT ON contact_record
    REFERENCING NEW TABLE AS contact_kpi_changed FOR EACH STATEMENT EXECUTE FUNCTION contact_kpi_upsert();
CREATE TRIGGER contact_kpi_update AFTER UPDATE ON contact_record
    REFERENCING NEW TABLE AS contact_kpi_changed FOR EACH STATEMENT EXECUTE FUNCTION contact_kpi_upsert();
CREATE TRIGGER contact_kpi_delete AFTER DELETE ON contact_record
    REFERENCING OLD TABLE AS contact_kpi_removed FOR EACH STATEMENT EXECUTE FUNCTION contact_kpi_delete();
CREATE TRIGGER contact_kpi_truncate AFTER TRUNCATE ON contact_record
    FOR EACH STATEMENT EXECUTE FUNCTION contact_kpi_delete();

-- In initiation order, so a range of days is a range of pages.
INSERT INTO contact_kpi SELECT * FROM kpi_contact ORDER BY initiation_timestamp;
-- Ranges of initiation: kpi_contact's readers, the dashboard's threshold
-- figures and the rollups' touched intervals all select on it.
CREATE INDEX contact_kpi_initiation_idx ON contact_kpi (initiation_timestamp);
ANALYZE contact_kpi;
-- The 15-minute interval of the initiation on contact_record served
-- kpi_contact's interval_start; nothing reads contact_record by it now, and
-- every stored contact paid for it.
DROP INDEX contact_record_interval_idx;

-- +goose StatementBegin
CREATE OR REPLACE VIEW kpi_contact AS
SELECT contact_id, initial_contact_id, previous_contact_id, next_contact_id,
    channel, initiation_method, queue_id, queue_name, agent_id, agent_username,
    initiation_timestamp, enqueue_timestamp, dequeue_timestamp,
    connected_to_agent_timestamp, disconnect_timestamp, disconnect_reason,
    interval_start, queued, answered, handled, abandoned, transferred_out, callback,
    left_queue, put_on_hold, queue_seconds, talk_seconds, hold_seconds, acw_seconds, handle_seconds
FROM contact_kpi;
-- +goose StatementEnd

-- +goose Down
CREATE INDEX contact_record_interval_idx ON contact_record ((date_bin('15 minutes'::interval, initiation_timestamp, '2000-01-01 00:00:00+00'::timestamptz)));
-- +goose StatementBegin
CREATE OR REPLACE VIEW kpi_contact AS
SELECT x.contact_id, x.initial_contact_id, x.previous_contact_id, x.next_contact_id,
    x.channel, x.initiation_method, x.queue_id, x.queue_name, x.agent_id, x.agent_username,
    x.initiation_timestamp, x.enqueue_timestamp, x.dequeue_timestamp,
    x.connected_to_agent_timestamp, x.disconnect_timestamp, x.disconnect_reason,
    date_bin('15 minutes'::interval, x.initiation_timestamp, '2000-01-01 00:00:00+00'::timestamptz) AS interval_start,
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
DROP TRIGGER contact_kpi_truncate ON contact_record;
DROP TRIGGER contact_kpi_delete ON contact_record;
DROP TRIGGER contact_kpi_update ON contact_record;
DROP TRIGGER contact_kpi_insert ON contact_record;
DROP FUNCTION contact_kpi_delete();
DROP FUNCTION contact_kpi_upsert();
DROP TABLE contact_kpi;
