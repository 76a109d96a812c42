-- +goose Up
-- The stable core of the reporting schema (DESIGN.md). Report writers depend
-- on these names: add columns in later migrations, never rename these.
-- Timestamps are TEXT (UTC); raw keeps each stream record as it arrived.

CREATE TABLE agent_event (
    event_id               text PRIMARY KEY,
    event_type             text NOT NULL,
    event_timestamp        TEXT NOT NULL,
    agent_id               text,
    agent_arn              text,
    username               text,
    status_name            text,
    status_type            text,
    status_start_timestamp TEXT,
    routing_profile_id     text,
    contact_count          integer,
    raw                    TEXT
);
CREATE INDEX agent_event_agent_time_idx ON agent_event (agent_id, event_timestamp);

CREATE TABLE agent_state (
    agent_id               text PRIMARY KEY,
    agent_arn              text,
    username               text,
    status_name            text,
    status_type            text,
    status_start_timestamp TEXT,
    routing_profile_id     text,
    contact_count          integer,
    last_event_timestamp   TEXT,
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
    initiation_timestamp                TEXT,
    connected_to_system_timestamp       TEXT,
    disconnect_timestamp                TEXT,
    disconnect_reason                   text,
    last_update_timestamp               TEXT,
    queue_id                            text,
    queue_name                          text,
    enqueue_timestamp                   TEXT,
    dequeue_timestamp                   TEXT,
    queue_duration_seconds              INTEGER,
    agent_id                            text,
    agent_username                      text,
    connected_to_agent_timestamp        TEXT,
    agent_interaction_duration_seconds  INTEGER,
    customer_hold_duration_seconds      INTEGER,
    after_contact_work_duration_seconds INTEGER,
    number_of_holds                     INTEGER,
    customer_endpoint                   text,
    system_endpoint                     text,
    raw                                 TEXT
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
    snapshot_time              TEXT NOT NULL,
    queue_id                   text NOT NULL,
    channel                    text NOT NULL,
    queue_arn                  text,
    agents_online              REAL,
    agents_available           REAL,
    agents_on_contact          REAL,
    agents_on_call             REAL,
    agents_after_contact_work  REAL,
    agents_non_productive      REAL,
    agents_error               REAL,
    agents_staffed             REAL,
    contacts_in_queue          REAL,
    contacts_scheduled         REAL,
    oldest_contact_age_seconds REAL,
    slots_active               REAL,
    slots_available            REAL,
    PRIMARY KEY (snapshot_time, queue_id, channel)
);

-- The latest observation per queue and channel (same columns as the history).
CREATE TABLE queue_realtime_current (
    snapshot_time              TEXT NOT NULL,
    queue_id                   text NOT NULL,
    channel                    text NOT NULL,
    queue_arn                  text,
    agents_online              REAL,
    agents_available           REAL,
    agents_on_contact          REAL,
    agents_on_call             REAL,
    agents_after_contact_work  REAL,
    agents_non_productive      REAL,
    agents_error               REAL,
    agents_staffed             REAL,
    contacts_in_queue          REAL,
    contacts_scheduled         REAL,
    oldest_contact_age_seconds REAL,
    slots_active               REAL,
    slots_available            REAL,
    PRIMARY KEY (queue_id, channel)
);

CREATE TABLE agent_realtime_snapshot (
    snapshot_time          TEXT NOT NULL,
    agent_id               text NOT NULL,
    agent_arn              text,
    username               text,
    status_name            text,
    status_arn             text,
    status_start_timestamp TEXT,
    contact_count          integer,
    routing_profile_id     text,
    contacts_by_channel    text,
    PRIMARY KEY (snapshot_time, agent_id)
);

CREATE TABLE agent_realtime_current (
    snapshot_time          TEXT NOT NULL,
    agent_id               text NOT NULL,
    agent_arn              text,
    username               text,
    status_name            text,
    status_arn             text,
    status_start_timestamp TEXT,
    contact_count          integer,
    routing_profile_id     text,
    contacts_by_channel    text,
    PRIMARY KEY (agent_id)
);

CREATE TABLE queue_interval_metric (
    queue_id       text NOT NULL,
    channel        text NOT NULL,
    interval_start TEXT NOT NULL,
    metric_name    text NOT NULL,
    interval_end   TEXT NOT NULL,
    value          REAL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (queue_id, channel, interval_start, metric_name)
);
CREATE INDEX queue_interval_metric_start_idx ON queue_interval_metric (interval_start);

-- Configuration: one row per version of an entity; valid_to is NULL on the
-- current row. content_hash tells a changed entity from an unchanged one.
CREATE TABLE connect_user (
    user_id                       text NOT NULL,
    valid_from                    TEXT NOT NULL,
    valid_to                      TEXT,
    arn                           text,
    username                      text,
    first_name                    text,
    last_name                     text,
    email                         text,
    routing_profile_id            text,
    hierarchy_group_id            text,
    security_profile_ids          text,
    phone_type                    text,
    auto_accept                   INTEGER,
    after_contact_work_time_limit integer,
    content_hash                  text NOT NULL,
    PRIMARY KEY (user_id, valid_from)
);

CREATE TABLE hierarchy_group (
    hierarchy_group_id text NOT NULL,
    valid_from         TEXT NOT NULL,
    valid_to           TEXT,
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
    valid_from         TEXT NOT NULL,
    valid_to           TEXT,
    arn                text,
    name               text,
    level_number       integer,
    content_hash       text NOT NULL,
    PRIMARY KEY (hierarchy_level_id, valid_from)
);

CREATE TABLE routing_profile (
    routing_profile_id         text NOT NULL,
    valid_from                 TEXT NOT NULL,
    valid_to                   TEXT,
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
    valid_from         TEXT NOT NULL,
    valid_to           TEXT,
    priority           integer,
    delay              integer,
    content_hash       text NOT NULL,
    PRIMARY KEY (routing_profile_id, queue_id, channel, valid_from)
);

CREATE TABLE queue (
    queue_id              text NOT NULL,
    valid_from            TEXT NOT NULL,
    valid_to              TEXT,
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
    valid_from      TEXT NOT NULL,
    valid_to        TEXT,
    arn             text,
    name            text,
    status_type     text,
    state           text,
    display_order   integer,
    content_hash    text NOT NULL,
    PRIMARY KEY (agent_status_id, valid_from)
);

CREATE TABLE rejected_record (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    source          text NOT NULL,
    partition_key   text,
    sequence_number text,
    received_at     TEXT NOT NULL,
    error           text NOT NULL,
    payload         BLOB
);

CREATE TABLE poll_checkpoint (
    poller     text NOT NULL,
    scope      text NOT NULL,
    watermark  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
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
