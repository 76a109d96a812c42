-- +goose Up
-- The stable core of the reporting schema (DESIGN.md). Report writers depend
-- on these names: add columns in later migrations, never rename these.
-- Timestamps are timestamptz (UTC); raw keeps each stream record as it arrived.

CREATE TABLE agent_event (
    event_id               text PRIMARY KEY,
    event_type             text NOT NULL,
    event_timestamp        timestamptz NOT NULL,
    agent_id               text,
    agent_arn              text,
    username               text,
    status_name            text,
    status_type            text,
    status_start_timestamp timestamptz,
    routing_profile_id     text,
    contact_count          integer,
    raw                    jsonb
);
CREATE INDEX agent_event_agent_time_idx ON agent_event (agent_id, event_timestamp);

CREATE TABLE agent_state (
    agent_id               text PRIMARY KEY,
    agent_arn              text,
    username               text,
    status_name            text,
    status_type            text,
    status_start_timestamp timestamptz,
    routing_profile_id     text,
    contact_count          integer,
    last_event_timestamp   timestamptz,
    last_event_type        text,
    last_event_id          text
);

CREATE TABLE contact_record (
    contact_id                          text PRIMARY KEY,
    initial_contact_id                  text,
    previous_contact_id                 text,
    next_contact_id                     text,
    channel                             text,
    initiation_method                   text,
    initiation_timestamp                timestamptz,
    connected_to_system_timestamp       timestamptz,
    disconnect_timestamp                timestamptz,
    disconnect_reason                   text,
    last_update_timestamp               timestamptz,
    queue_id                            text,
    queue_name                          text,
    enqueue_timestamp                   timestamptz,
    dequeue_timestamp                   timestamptz,
    queue_duration_seconds              bigint,
    agent_id                            text,
    agent_username                      text,
    connected_to_agent_timestamp        timestamptz,
    agent_interaction_duration_seconds  bigint,
    customer_hold_duration_seconds      bigint,
    after_contact_work_duration_seconds bigint,
    number_of_holds                     bigint,
    customer_endpoint                   text,
    system_endpoint                     text,
    raw                                 jsonb
);
CREATE INDEX contact_record_initiation_idx ON contact_record (initiation_timestamp);
CREATE INDEX contact_record_queue_idx ON contact_record (queue_id, enqueue_timestamp);
CREATE INDEX contact_record_agent_idx ON contact_record (agent_id, connected_to_agent_timestamp);

CREATE TABLE contact_attribute (
    contact_id text NOT NULL,
    name       text NOT NULL,
    value      text,
    PRIMARY KEY (contact_id, name)
);

CREATE TABLE queue_realtime_snapshot (
    snapshot_time              timestamptz NOT NULL,
    queue_id                   text NOT NULL,
    channel                    text NOT NULL,
    queue_arn                  text,
    agents_online              double precision,
    agents_available           double precision,
    agents_on_contact          double precision,
    agents_on_call             double precision,
    agents_after_contact_work  double precision,
    agents_non_productive      double precision,
    agents_error               double precision,
    agents_staffed             double precision,
    contacts_in_queue          double precision,
    contacts_scheduled         double precision,
    oldest_contact_age_seconds double precision,
    slots_active               double precision,
    slots_available            double precision,
    PRIMARY KEY (snapshot_time, queue_id, channel)
);

-- The latest observation per queue and channel (same columns as the history).
CREATE TABLE queue_realtime_current (LIKE queue_realtime_snapshot);
ALTER TABLE queue_realtime_current ADD PRIMARY KEY (queue_id, channel);

CREATE TABLE agent_realtime_snapshot (
    snapshot_time          timestamptz NOT NULL,
    agent_id               text NOT NULL,
    agent_arn              text,
    username               text,
    status_name            text,
    status_arn             text,
    status_start_timestamp timestamptz,
    contact_count          integer,
    routing_profile_id     text,
    contacts_by_channel    text,
    PRIMARY KEY (snapshot_time, agent_id)
);

CREATE TABLE agent_realtime_current (LIKE agent_realtime_snapshot);
ALTER TABLE agent_realtime_current ADD PRIMARY KEY (agent_id);

CREATE TABLE queue_interval_metric (
    queue_id       text NOT NULL,
    channel        text NOT NULL,
    interval_start timestamptz NOT NULL,
    metric_name    text NOT NULL,
    interval_end   timestamptz NOT NULL,
    value          double precision,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (queue_id, channel, interval_start, metric_name)
);
CREATE INDEX queue_interval_metric_start_idx ON queue_interval_metric (interval_start);

-- Configuration: one row per version of an entity; valid_to is NULL on the
-- current row. content_hash tells a changed entity from an unchanged one.
CREATE TABLE connect_user (
    user_id                       text NOT NULL,
    valid_from                    timestamptz NOT NULL,
    valid_to                      timestamptz,
    arn                           text,
    username                      text,
    first_name                    text,
    last_name                     text,
    email                         text,
    routing_profile_id            text,
    hierarchy_group_id            text,
    security_profile_ids          text,
    phone_type                    text,
    auto_accept                   boolean,
    after_contact_work_time_limit integer,
    content_hash                  text NOT NULL,
    PRIMARY KEY (user_id, valid_from)
);

CREATE TABLE hierarchy_group (
    hierarchy_group_id text NOT NULL,
    valid_from         timestamptz NOT NULL,
    valid_to           timestamptz,
    arn                text,
    name               text,
    level_id           text,
    level1_group_id    text,
    level2_group_id    text,
    level3_group_id    text,
    level4_group_id    text,
    level5_group_id    text,
    content_hash       text NOT NULL,
    PRIMARY KEY (hierarchy_group_id, valid_from)
);

CREATE TABLE hierarchy_level (
    hierarchy_level_id text NOT NULL,
    valid_from         timestamptz NOT NULL,
    valid_to           timestamptz,
    arn                text,
    name               text,
    level_number       integer,
    content_hash       text NOT NULL,
    PRIMARY KEY (hierarchy_level_id, valid_from)
);

CREATE TABLE routing_profile (
    routing_profile_id         text NOT NULL,
    valid_from                 timestamptz NOT NULL,
    valid_to                   timestamptz,
    arn                        text,
    name                       text,
    description                text,
    default_outbound_queue_id  text,
    concurrency                text,
    content_hash               text NOT NULL,
    PRIMARY KEY (routing_profile_id, valid_from)
);

CREATE TABLE routing_profile_queue (
    routing_profile_id text NOT NULL,
    queue_id           text NOT NULL,
    channel            text NOT NULL,
    valid_from         timestamptz NOT NULL,
    valid_to           timestamptz,
    priority           integer,
    delay              integer,
    content_hash       text NOT NULL,
    PRIMARY KEY (routing_profile_id, queue_id, channel, valid_from)
);

CREATE TABLE queue (
    queue_id              text NOT NULL,
    valid_from            timestamptz NOT NULL,
    valid_to              timestamptz,
    arn                   text,
    name                  text,
    queue_type            text,
    description           text,
    status                text,
    max_contacts          integer,
    hours_of_operation_id text,
    content_hash          text NOT NULL,
    PRIMARY KEY (queue_id, valid_from)
);

CREATE TABLE agent_status (
    agent_status_id text NOT NULL,
    valid_from      timestamptz NOT NULL,
    valid_to        timestamptz,
    arn             text,
    name            text,
    status_type     text,
    state           text,
    display_order   integer,
    content_hash    text NOT NULL,
    PRIMARY KEY (agent_status_id, valid_from)
);

CREATE TABLE rejected_record (
    id              bigserial PRIMARY KEY,
    source          text NOT NULL,
    partition_key   text,
    sequence_number text,
    received_at     timestamptz NOT NULL,
    error           text NOT NULL,
    payload         bytea
);

CREATE TABLE poll_checkpoint (
    poller     text NOT NULL,
    scope      text NOT NULL,
    watermark  timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (poller, scope)
);

-- +goose Down
DROP TABLE poll_checkpoint;
DROP TABLE rejected_record;
DROP TABLE agent_status;
DROP TABLE queue;
DROP TABLE routing_profile_queue;
DROP TABLE routing_profile;
DROP TABLE hierarchy_level;
DROP TABLE hierarchy_group;
DROP TABLE connect_user;
DROP TABLE queue_interval_metric;
DROP TABLE agent_realtime_current;
DROP TABLE agent_realtime_snapshot;
DROP TABLE queue_realtime_current;
DROP TABLE queue_realtime_snapshot;
DROP TABLE contact_attribute;
DROP TABLE contact_record;
DROP TABLE agent_state;
DROP TABLE agent_event;
