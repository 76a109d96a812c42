-- +goose Up
-- The stable core of the reporting schema (DESIGN.md). Report writers depend
-- on these names: add columns in later migrations, never rename these.
-- Timestamps are datetime2(7) (UTC); raw keeps each stream record as it arrived.

CREATE TABLE agent_event (
    event_id               nvarchar(450) PRIMARY KEY,
    event_type             nvarchar(450) NOT NULL,
    event_timestamp        datetime2(7) NOT NULL,
    agent_id               nvarchar(450),
    agent_arn              nvarchar(450),
    username               nvarchar(450),
    status_name            nvarchar(450),
    status_type            nvarchar(450),
    status_start_timestamp datetime2(7),
    routing_profile_id     nvarchar(450),
    contact_count          integer,
    raw                    nvarchar(max)
);
CREATE INDEX agent_event_agent_time_idx ON agent_event (agent_id, event_timestamp);

CREATE TABLE agent_state (
    agent_id               nvarchar(450) PRIMARY KEY,
    agent_arn              nvarchar(450),
    username               nvarchar(450),
    status_name            nvarchar(450),
    status_type            nvarchar(450),
    status_start_timestamp datetime2(7),
    routing_profile_id     nvarchar(450),
    contact_count          integer,
    last_event_timestamp   datetime2(7),
    last_event_type        nvarchar(450),
    last_event_id          nvarchar(450)
);

CREATE TABLE contact_record (
    contact_id                          nvarchar(450) PRIMARY KEY,
    initial_contact_id                  nvarchar(450),
    previous_contact_id                 nvarchar(450),
    next_contact_id                     nvarchar(450),
    channel                             nvarchar(32),
    initiation_method                   nvarchar(450),
    initiation_timestamp                datetime2(7),
    connected_to_system_timestamp       datetime2(7),
    disconnect_timestamp                datetime2(7),
    disconnect_reason                   nvarchar(450),
    last_update_timestamp               datetime2(7),
    queue_id                            nvarchar(450),
    queue_name                          nvarchar(450),
    enqueue_timestamp                   datetime2(7),
    dequeue_timestamp                   datetime2(7),
    queue_duration_seconds              bigint,
    agent_id                            nvarchar(450),
    agent_username                      nvarchar(450),
    connected_to_agent_timestamp        datetime2(7),
    agent_interaction_duration_seconds  bigint,
    customer_hold_duration_seconds      bigint,
    after_contact_work_duration_seconds bigint,
    number_of_holds                     bigint,
    customer_endpoint                   nvarchar(450),
    system_endpoint                     nvarchar(450),
    raw                                 nvarchar(max)
);
CREATE INDEX contact_record_initiation_idx ON contact_record (initiation_timestamp);
CREATE INDEX contact_record_queue_idx ON contact_record (queue_id, enqueue_timestamp);
CREATE INDEX contact_record_agent_idx ON contact_record (agent_id, connected_to_agent_timestamp);

CREATE TABLE contact_attribute (
    contact_id nvarchar(450) NOT NULL,
    name       nvarchar(450) NOT NULL,
    value      nvarchar(max),
    PRIMARY KEY (contact_id, name)
);

CREATE TABLE queue_realtime_snapshot (
    snapshot_time              datetime2(7) NOT NULL,
    queue_id                   nvarchar(128) NOT NULL,
    channel                    nvarchar(32) NOT NULL,
    queue_arn                  nvarchar(450),
    agents_online              float,
    agents_available           float,
    agents_on_contact          float,
    agents_on_call             float,
    agents_after_contact_work  float,
    agents_non_productive      float,
    agents_error               float,
    agents_staffed             float,
    contacts_in_queue          float,
    contacts_scheduled         float,
    oldest_contact_age_seconds float,
    slots_active               float,
    slots_available            float,
    PRIMARY KEY (snapshot_time, queue_id, channel)
);

-- The latest observation per queue and channel (same columns as the history).
CREATE TABLE queue_realtime_current (
    snapshot_time              datetime2(7) NOT NULL,
    queue_id                   nvarchar(128) NOT NULL,
    channel                    nvarchar(32) NOT NULL,
    queue_arn                  nvarchar(450),
    agents_online              float,
    agents_available           float,
    agents_on_contact          float,
    agents_on_call             float,
    agents_after_contact_work  float,
    agents_non_productive      float,
    agents_error               float,
    agents_staffed             float,
    contacts_in_queue          float,
    contacts_scheduled         float,
    oldest_contact_age_seconds float,
    slots_active               float,
    slots_available            float,
    PRIMARY KEY (queue_id, channel)
);

CREATE TABLE agent_realtime_snapshot (
    snapshot_time          datetime2(7) NOT NULL,
    agent_id               nvarchar(450) NOT NULL,
    agent_arn              nvarchar(450),
    username               nvarchar(450),
    status_name            nvarchar(450),
    status_arn             nvarchar(450),
    status_start_timestamp datetime2(7),
    contact_count          integer,
    routing_profile_id     nvarchar(450),
    contacts_by_channel    nvarchar(max),
    PRIMARY KEY (snapshot_time, agent_id)
);

CREATE TABLE agent_realtime_current (
    snapshot_time          datetime2(7) NOT NULL,
    agent_id               nvarchar(450) NOT NULL,
    agent_arn              nvarchar(450),
    username               nvarchar(450),
    status_name            nvarchar(450),
    status_arn             nvarchar(450),
    status_start_timestamp datetime2(7),
    contact_count          integer,
    routing_profile_id     nvarchar(450),
    contacts_by_channel    nvarchar(max),
    PRIMARY KEY (agent_id)
);

CREATE TABLE queue_interval_metric (
    queue_id       nvarchar(128) NOT NULL,
    channel        nvarchar(32) NOT NULL,
    interval_start datetime2(7) NOT NULL,
    metric_name    nvarchar(128) NOT NULL,
    interval_end   datetime2(7) NOT NULL,
    value          float,
    updated_at     datetime2(7) NOT NULL,
    PRIMARY KEY (queue_id, channel, interval_start, metric_name)
);
CREATE INDEX queue_interval_metric_start_idx ON queue_interval_metric (interval_start);

-- Configuration: one row per version of an entity; valid_to is NULL on the
-- current row. content_hash tells a changed entity from an unchanged one.
CREATE TABLE connect_user (
    user_id                       nvarchar(450) NOT NULL,
    valid_from                    datetime2(7) NOT NULL,
    valid_to                      datetime2(7),
    arn                           nvarchar(450),
    username                      nvarchar(450),
    first_name                    nvarchar(450),
    last_name                     nvarchar(450),
    email                         nvarchar(450),
    routing_profile_id            nvarchar(450),
    hierarchy_group_id            nvarchar(450),
    security_profile_ids          nvarchar(max),
    phone_type                    nvarchar(450),
    auto_accept                   bit,
    after_contact_work_time_limit integer,
    content_hash                  nvarchar(450) NOT NULL,
    PRIMARY KEY (user_id, valid_from)
);

CREATE TABLE hierarchy_group (
    hierarchy_group_id nvarchar(450) NOT NULL,
    valid_from         datetime2(7) NOT NULL,
    valid_to           datetime2(7),
    arn                nvarchar(450),
    name               nvarchar(450),
    level_id           nvarchar(450),
    level1_group_id    nvarchar(450),
    level2_group_id    nvarchar(450),
    level3_group_id    nvarchar(450),
    level4_group_id    nvarchar(450),
    level5_group_id    nvarchar(450),
    content_hash       nvarchar(450) NOT NULL,
    PRIMARY KEY (hierarchy_group_id, valid_from)
);

CREATE TABLE hierarchy_level (
    hierarchy_level_id nvarchar(450) NOT NULL,
    valid_from         datetime2(7) NOT NULL,
    valid_to           datetime2(7),
    arn                nvarchar(450),
    name               nvarchar(450),
    level_number       integer,
    content_hash       nvarchar(450) NOT NULL,
    PRIMARY KEY (hierarchy_level_id, valid_from)
);

CREATE TABLE routing_profile (
    routing_profile_id         nvarchar(128) NOT NULL,
    valid_from                 datetime2(7) NOT NULL,
    valid_to                   datetime2(7),
    arn                        nvarchar(450),
    name                       nvarchar(450),
    description                nvarchar(max),
    default_outbound_queue_id  nvarchar(450),
    concurrency                nvarchar(max),
    content_hash               nvarchar(450) NOT NULL,
    PRIMARY KEY (routing_profile_id, valid_from)
);

CREATE TABLE routing_profile_queue (
    routing_profile_id nvarchar(128) NOT NULL,
    queue_id           nvarchar(128) NOT NULL,
    channel            nvarchar(32) NOT NULL,
    valid_from         datetime2(7) NOT NULL,
    valid_to           datetime2(7),
    priority           integer,
    [delay]              integer,
    content_hash       nvarchar(450) NOT NULL,
    PRIMARY KEY (routing_profile_id, queue_id, channel, valid_from)
);

CREATE TABLE [queue] (
    queue_id              nvarchar(128) NOT NULL,
    valid_from            datetime2(7) NOT NULL,
    valid_to              datetime2(7),
    arn                   nvarchar(450),
    name                  nvarchar(450),
    queue_type            nvarchar(450),
    description           nvarchar(max),
    status                nvarchar(450),
    max_contacts          integer,
    hours_of_operation_id nvarchar(450),
    content_hash          nvarchar(450) NOT NULL,
    PRIMARY KEY (queue_id, valid_from)
);

CREATE TABLE agent_status (
    agent_status_id nvarchar(450) NOT NULL,
    valid_from      datetime2(7) NOT NULL,
    valid_to        datetime2(7),
    arn             nvarchar(450),
    name            nvarchar(450),
    status_type     nvarchar(450),
    state           nvarchar(450),
    display_order   integer,
    content_hash    nvarchar(450) NOT NULL,
    PRIMARY KEY (agent_status_id, valid_from)
);

CREATE TABLE rejected_record (
    id              bigint IDENTITY(1,1) PRIMARY KEY,
    source          nvarchar(450) NOT NULL,
    partition_key   nvarchar(450),
    sequence_number nvarchar(450),
    received_at     datetime2(7) NOT NULL,
    error           nvarchar(max) NOT NULL,
    payload         varbinary(max)
);

CREATE TABLE poll_checkpoint (
    poller     nvarchar(128) NOT NULL,
    scope      nvarchar(128) NOT NULL,
    watermark  datetime2(7) NOT NULL,
    updated_at datetime2(7) NOT NULL,
    PRIMARY KEY (poller, scope)
);

-- +goose Down
DROP TABLE poll_checkpoint;
DROP TABLE rejected_record;
DROP TABLE agent_status;
DROP TABLE [queue];
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
