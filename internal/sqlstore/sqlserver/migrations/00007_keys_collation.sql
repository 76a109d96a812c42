-- +goose Up
-- SQL Server keys within the server's limits, and ids compared as Go and
-- the other dialects compare them: by exact bytes (issue 13).
--
-- * Every Connect id column becomes nvarchar(128) COLLATE
--   Latin1_General_100_BIN2 (connectreporting.MaxIDLen): keys fit the
--   900-byte clustered and 1,700-byte nonclustered limits, ids that differ
--   only in case are different rows, and every id column has the same
--   collation, so joins between them never meet Msg 468.
-- * contact_attribute is keyed on (contact_id, name_sha256), the SHA-256 of
--   the name as SQL Server stores it (UTF-16LE); the name is kept whole in
--   an nvarchar(max) column, so names of any length and names that differ
--   only in case or trailing spaces are distinct attributes.
-- * rejected_record's (source, sequence_number) index fits in 1,700 bytes.
--
-- Keys and the indexes on the altered columns are dropped and recreated.
-- An id longer than 128 characters in existing data stops this migration
-- (Msg 2628) inside its transaction: nothing is changed.

DROP INDEX agent_event_agent_time_idx ON agent_event;
DROP INDEX agent_event_agent_status_start_idx ON agent_event;
DROP INDEX agent_event_logout_idx ON agent_event;
DROP INDEX contact_record_queue_idx ON contact_record;
DROP INDEX contact_record_agent_idx ON contact_record;
DROP INDEX rejected_record_sequence_idx ON rejected_record;

-- +goose StatementBegin
-- The primary keys were created unnamed (the server named them): drop them
-- by what sys.key_constraints says.
DECLARE @sql nvarchar(max) = (
    SELECT N'ALTER TABLE ' + QUOTENAME(OBJECT_NAME(parent_object_id)) + N' DROP CONSTRAINT ' + QUOTENAME(name) + N'; '
    FROM sys.key_constraints
    WHERE type = 'PK' AND parent_object_id IN (
        OBJECT_ID(N'agent_event'),
        OBJECT_ID(N'agent_state'),
        OBJECT_ID(N'contact_record'),
        OBJECT_ID(N'contact_attribute'),
        OBJECT_ID(N'queue_realtime_snapshot'),
        OBJECT_ID(N'queue_realtime_current'),
        OBJECT_ID(N'agent_realtime_snapshot'),
        OBJECT_ID(N'agent_realtime_current'),
        OBJECT_ID(N'queue_interval_metric'),
        OBJECT_ID(N'agent_interval_metric'),
        OBJECT_ID(N'connect_user'),
        OBJECT_ID(N'hierarchy_group'),
        OBJECT_ID(N'hierarchy_level'),
        OBJECT_ID(N'routing_profile'),
        OBJECT_ID(N'routing_profile_queue'),
        OBJECT_ID(N'queue'),
        OBJECT_ID(N'agent_status'))
    FOR XML PATH(''), TYPE).value('.', 'nvarchar(max)');
IF @sql IS NOT NULL EXEC sys.sp_executesql @sql;
-- +goose StatementEnd

ALTER TABLE contact_attribute ADD name_sha256 binary(32) NULL;
UPDATE contact_attribute SET name_sha256 = CAST(HASHBYTES('SHA2_256', name) AS binary(32));
ALTER TABLE contact_attribute ALTER COLUMN name_sha256 binary(32) NOT NULL;
ALTER TABLE contact_attribute ALTER COLUMN name nvarchar(max) NOT NULL;
ALTER TABLE agent_event ALTER COLUMN event_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE agent_event ALTER COLUMN agent_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE agent_event ALTER COLUMN routing_profile_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE agent_state ALTER COLUMN agent_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE agent_state ALTER COLUMN routing_profile_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE agent_state ALTER COLUMN last_event_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE contact_record ALTER COLUMN contact_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE contact_record ALTER COLUMN initial_contact_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE contact_record ALTER COLUMN previous_contact_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE contact_record ALTER COLUMN next_contact_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE contact_record ALTER COLUMN queue_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE contact_record ALTER COLUMN agent_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE contact_attribute ALTER COLUMN contact_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE queue_realtime_snapshot ALTER COLUMN queue_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE queue_realtime_current ALTER COLUMN queue_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE agent_realtime_snapshot ALTER COLUMN agent_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE agent_realtime_snapshot ALTER COLUMN routing_profile_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE agent_realtime_current ALTER COLUMN agent_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE agent_realtime_current ALTER COLUMN routing_profile_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE queue_interval_metric ALTER COLUMN queue_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE agent_interval_metric ALTER COLUMN agent_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE connect_user ALTER COLUMN user_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE connect_user ALTER COLUMN routing_profile_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE connect_user ALTER COLUMN hierarchy_group_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE hierarchy_group ALTER COLUMN hierarchy_group_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level1_group_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level2_group_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level3_group_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level4_group_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level5_group_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE hierarchy_level ALTER COLUMN hierarchy_level_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE routing_profile ALTER COLUMN routing_profile_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE routing_profile ALTER COLUMN default_outbound_queue_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE routing_profile_queue ALTER COLUMN routing_profile_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE routing_profile_queue ALTER COLUMN queue_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE [queue] ALTER COLUMN queue_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE [queue] ALTER COLUMN hours_of_operation_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE agent_status ALTER COLUMN agent_status_id nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE rejected_record ALTER COLUMN source nvarchar(64) NOT NULL;
ALTER TABLE rejected_record ALTER COLUMN partition_key nvarchar(256) NULL;
ALTER TABLE rejected_record ALTER COLUMN sequence_number nvarchar(128) NULL;

ALTER TABLE agent_event ADD CONSTRAINT agent_event_pkey PRIMARY KEY CLUSTERED (event_id);
ALTER TABLE agent_state ADD CONSTRAINT agent_state_pkey PRIMARY KEY CLUSTERED (agent_id);
ALTER TABLE contact_record ADD CONSTRAINT contact_record_pkey PRIMARY KEY CLUSTERED (contact_id);
ALTER TABLE contact_attribute ADD CONSTRAINT contact_attribute_pkey PRIMARY KEY CLUSTERED (contact_id, name_sha256);
ALTER TABLE queue_realtime_snapshot ADD CONSTRAINT queue_realtime_snapshot_pkey PRIMARY KEY CLUSTERED (snapshot_time, queue_id, channel);
ALTER TABLE queue_realtime_current ADD CONSTRAINT queue_realtime_current_pkey PRIMARY KEY CLUSTERED (queue_id, channel);
ALTER TABLE agent_realtime_snapshot ADD CONSTRAINT agent_realtime_snapshot_pkey PRIMARY KEY CLUSTERED (snapshot_time, agent_id);
ALTER TABLE agent_realtime_current ADD CONSTRAINT agent_realtime_current_pkey PRIMARY KEY CLUSTERED (agent_id);
ALTER TABLE queue_interval_metric ADD CONSTRAINT queue_interval_metric_pkey PRIMARY KEY CLUSTERED (queue_id, channel, interval_start, metric_name);
ALTER TABLE agent_interval_metric ADD CONSTRAINT agent_interval_metric_pkey PRIMARY KEY CLUSTERED (agent_id, channel, interval_start, metric_name);
ALTER TABLE connect_user ADD CONSTRAINT connect_user_pkey PRIMARY KEY CLUSTERED (user_id, valid_from);
ALTER TABLE hierarchy_group ADD CONSTRAINT hierarchy_group_pkey PRIMARY KEY CLUSTERED (hierarchy_group_id, valid_from);
ALTER TABLE hierarchy_level ADD CONSTRAINT hierarchy_level_pkey PRIMARY KEY CLUSTERED (hierarchy_level_id, valid_from);
ALTER TABLE routing_profile ADD CONSTRAINT routing_profile_pkey PRIMARY KEY CLUSTERED (routing_profile_id, valid_from);
ALTER TABLE routing_profile_queue ADD CONSTRAINT routing_profile_queue_pkey PRIMARY KEY CLUSTERED (routing_profile_id, queue_id, channel, valid_from);
ALTER TABLE [queue] ADD CONSTRAINT queue_pkey PRIMARY KEY CLUSTERED (queue_id, valid_from);
ALTER TABLE agent_status ADD CONSTRAINT agent_status_pkey PRIMARY KEY CLUSTERED (agent_status_id, valid_from);

CREATE INDEX agent_event_agent_time_idx ON agent_event (agent_id, event_timestamp);
CREATE INDEX agent_event_agent_status_start_idx ON agent_event (agent_id, status_start_timestamp);
CREATE INDEX agent_event_logout_idx ON agent_event (agent_id, event_timestamp) WHERE event_type = 'LOGOUT';
CREATE INDEX contact_record_queue_idx ON contact_record (queue_id, enqueue_timestamp);
CREATE INDEX contact_record_agent_idx ON contact_record (agent_id, connected_to_agent_timestamp);
CREATE INDEX rejected_record_sequence_idx ON rejected_record (source, sequence_number) WHERE sequence_number IS NOT NULL;

-- +goose Down
DROP INDEX agent_event_agent_time_idx ON agent_event;
DROP INDEX agent_event_agent_status_start_idx ON agent_event;
DROP INDEX agent_event_logout_idx ON agent_event;
DROP INDEX contact_record_queue_idx ON contact_record;
DROP INDEX contact_record_agent_idx ON contact_record;
DROP INDEX rejected_record_sequence_idx ON rejected_record;
ALTER TABLE agent_event DROP CONSTRAINT agent_event_pkey;
ALTER TABLE agent_state DROP CONSTRAINT agent_state_pkey;
ALTER TABLE contact_record DROP CONSTRAINT contact_record_pkey;
ALTER TABLE contact_attribute DROP CONSTRAINT contact_attribute_pkey;
ALTER TABLE queue_realtime_snapshot DROP CONSTRAINT queue_realtime_snapshot_pkey;
ALTER TABLE queue_realtime_current DROP CONSTRAINT queue_realtime_current_pkey;
ALTER TABLE agent_realtime_snapshot DROP CONSTRAINT agent_realtime_snapshot_pkey;
ALTER TABLE agent_realtime_current DROP CONSTRAINT agent_realtime_current_pkey;
ALTER TABLE queue_interval_metric DROP CONSTRAINT queue_interval_metric_pkey;
ALTER TABLE agent_interval_metric DROP CONSTRAINT agent_interval_metric_pkey;
ALTER TABLE connect_user DROP CONSTRAINT connect_user_pkey;
ALTER TABLE hierarchy_group DROP CONSTRAINT hierarchy_group_pkey;
ALTER TABLE hierarchy_level DROP CONSTRAINT hierarchy_level_pkey;
ALTER TABLE routing_profile DROP CONSTRAINT routing_profile_pkey;
ALTER TABLE routing_profile_queue DROP CONSTRAINT routing_profile_queue_pkey;
ALTER TABLE [queue] DROP CONSTRAINT queue_pkey;
ALTER TABLE agent_status DROP CONSTRAINT agent_status_pkey;
-- Going back loses what the old key cannot hold: attribute names longer than
-- 450 characters, and all but one of names equal under the database collation.
DELETE a FROM contact_attribute a WHERE LEN(a.name) > 450 OR EXISTS (SELECT 1 FROM contact_attribute b
    WHERE b.contact_id = a.contact_id AND b.name = a.name COLLATE DATABASE_DEFAULT AND b.name_sha256 < a.name_sha256);
ALTER TABLE agent_event ALTER COLUMN event_id nvarchar(450) NOT NULL;
ALTER TABLE agent_event ALTER COLUMN agent_id nvarchar(450) NULL;
ALTER TABLE agent_event ALTER COLUMN routing_profile_id nvarchar(450) NULL;
ALTER TABLE agent_state ALTER COLUMN agent_id nvarchar(450) NOT NULL;
ALTER TABLE agent_state ALTER COLUMN routing_profile_id nvarchar(450) NULL;
ALTER TABLE agent_state ALTER COLUMN last_event_id nvarchar(450) NULL;
ALTER TABLE contact_record ALTER COLUMN contact_id nvarchar(450) NOT NULL;
ALTER TABLE contact_record ALTER COLUMN initial_contact_id nvarchar(450) NULL;
ALTER TABLE contact_record ALTER COLUMN previous_contact_id nvarchar(450) NULL;
ALTER TABLE contact_record ALTER COLUMN next_contact_id nvarchar(450) NULL;
ALTER TABLE contact_record ALTER COLUMN queue_id nvarchar(450) NULL;
ALTER TABLE contact_record ALTER COLUMN agent_id nvarchar(450) NULL;
ALTER TABLE contact_attribute ALTER COLUMN contact_id nvarchar(450) NOT NULL;
ALTER TABLE queue_realtime_snapshot ALTER COLUMN queue_id nvarchar(128) NOT NULL;
ALTER TABLE queue_realtime_current ALTER COLUMN queue_id nvarchar(128) NOT NULL;
ALTER TABLE agent_realtime_snapshot ALTER COLUMN agent_id nvarchar(450) NOT NULL;
ALTER TABLE agent_realtime_snapshot ALTER COLUMN routing_profile_id nvarchar(450) NULL;
ALTER TABLE agent_realtime_current ALTER COLUMN agent_id nvarchar(450) NOT NULL;
ALTER TABLE agent_realtime_current ALTER COLUMN routing_profile_id nvarchar(450) NULL;
ALTER TABLE queue_interval_metric ALTER COLUMN queue_id nvarchar(128) NOT NULL;
ALTER TABLE agent_interval_metric ALTER COLUMN agent_id nvarchar(128) NOT NULL;
ALTER TABLE connect_user ALTER COLUMN user_id nvarchar(450) NOT NULL;
ALTER TABLE connect_user ALTER COLUMN routing_profile_id nvarchar(450) NULL;
ALTER TABLE connect_user ALTER COLUMN hierarchy_group_id nvarchar(450) NULL;
ALTER TABLE hierarchy_group ALTER COLUMN hierarchy_group_id nvarchar(450) NOT NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level_id nvarchar(450) NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level1_group_id nvarchar(450) NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level2_group_id nvarchar(450) NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level3_group_id nvarchar(450) NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level4_group_id nvarchar(450) NULL;
ALTER TABLE hierarchy_group ALTER COLUMN level5_group_id nvarchar(450) NULL;
ALTER TABLE hierarchy_level ALTER COLUMN hierarchy_level_id nvarchar(450) NOT NULL;
ALTER TABLE routing_profile ALTER COLUMN routing_profile_id nvarchar(128) NOT NULL;
ALTER TABLE routing_profile ALTER COLUMN default_outbound_queue_id nvarchar(450) NULL;
ALTER TABLE routing_profile_queue ALTER COLUMN routing_profile_id nvarchar(128) NOT NULL;
ALTER TABLE routing_profile_queue ALTER COLUMN queue_id nvarchar(128) NOT NULL;
ALTER TABLE [queue] ALTER COLUMN queue_id nvarchar(128) NOT NULL;
ALTER TABLE [queue] ALTER COLUMN hours_of_operation_id nvarchar(450) NULL;
ALTER TABLE agent_status ALTER COLUMN agent_status_id nvarchar(450) NOT NULL;
ALTER TABLE contact_attribute ALTER COLUMN name nvarchar(450) NOT NULL;
ALTER TABLE contact_attribute DROP COLUMN name_sha256;
ALTER TABLE rejected_record ALTER COLUMN source nvarchar(450) NOT NULL;
ALTER TABLE rejected_record ALTER COLUMN partition_key nvarchar(450) NULL;
ALTER TABLE rejected_record ALTER COLUMN sequence_number nvarchar(450) NULL;
ALTER TABLE agent_event ADD CONSTRAINT agent_event_pkey PRIMARY KEY CLUSTERED (event_id);
ALTER TABLE agent_state ADD CONSTRAINT agent_state_pkey PRIMARY KEY CLUSTERED (agent_id);
ALTER TABLE contact_record ADD CONSTRAINT contact_record_pkey PRIMARY KEY CLUSTERED (contact_id);
ALTER TABLE contact_attribute ADD CONSTRAINT contact_attribute_pkey PRIMARY KEY CLUSTERED (contact_id, name);
ALTER TABLE queue_realtime_snapshot ADD CONSTRAINT queue_realtime_snapshot_pkey PRIMARY KEY CLUSTERED (snapshot_time, queue_id, channel);
ALTER TABLE queue_realtime_current ADD CONSTRAINT queue_realtime_current_pkey PRIMARY KEY CLUSTERED (queue_id, channel);
ALTER TABLE agent_realtime_snapshot ADD CONSTRAINT agent_realtime_snapshot_pkey PRIMARY KEY CLUSTERED (snapshot_time, agent_id);
ALTER TABLE agent_realtime_current ADD CONSTRAINT agent_realtime_current_pkey PRIMARY KEY CLUSTERED (agent_id);
ALTER TABLE queue_interval_metric ADD CONSTRAINT queue_interval_metric_pkey PRIMARY KEY CLUSTERED (queue_id, channel, interval_start, metric_name);
ALTER TABLE agent_interval_metric ADD CONSTRAINT agent_interval_metric_pkey PRIMARY KEY CLUSTERED (agent_id, channel, interval_start, metric_name);
ALTER TABLE connect_user ADD CONSTRAINT connect_user_pkey PRIMARY KEY CLUSTERED (user_id, valid_from);
ALTER TABLE hierarchy_group ADD CONSTRAINT hierarchy_group_pkey PRIMARY KEY CLUSTERED (hierarchy_group_id, valid_from);
ALTER TABLE hierarchy_level ADD CONSTRAINT hierarchy_level_pkey PRIMARY KEY CLUSTERED (hierarchy_level_id, valid_from);
ALTER TABLE routing_profile ADD CONSTRAINT routing_profile_pkey PRIMARY KEY CLUSTERED (routing_profile_id, valid_from);
ALTER TABLE routing_profile_queue ADD CONSTRAINT routing_profile_queue_pkey PRIMARY KEY CLUSTERED (routing_profile_id, queue_id, channel, valid_from);
ALTER TABLE [queue] ADD CONSTRAINT queue_pkey PRIMARY KEY CLUSTERED (queue_id, valid_from);
ALTER TABLE agent_status ADD CONSTRAINT agent_status_pkey PRIMARY KEY CLUSTERED (agent_status_id, valid_from);
CREATE INDEX agent_event_agent_time_idx ON agent_event (agent_id, event_timestamp);
CREATE INDEX agent_event_agent_status_start_idx ON agent_event (agent_id, status_start_timestamp);
CREATE INDEX agent_event_logout_idx ON agent_event (agent_id, event_timestamp) WHERE event_type = 'LOGOUT';
CREATE INDEX contact_record_queue_idx ON contact_record (queue_id, enqueue_timestamp);
CREATE INDEX contact_record_agent_idx ON contact_record (agent_id, connected_to_agent_timestamp);
CREATE INDEX rejected_record_sequence_idx ON rejected_record (source, sequence_number) WHERE sequence_number IS NOT NULL;
