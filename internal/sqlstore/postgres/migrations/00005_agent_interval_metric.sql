-- +goose Up
-- Historical agent metrics (GetMetricDataV2 grouped by AGENT and CHANNEL),
-- one row per agent, channel, 15-minute interval and metric; metrics the
-- API reports per agent only carry channel 'ALL'. Averages are kept beside
-- their __SUM and __COUNT rows, as in queue_interval_metric.
CREATE TABLE agent_interval_metric (
    agent_id       text NOT NULL,
    channel        text NOT NULL,
    interval_start timestamptz NOT NULL,
    metric_name    text NOT NULL,
    interval_end   timestamptz NOT NULL,
    value          double precision,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (agent_id, channel, interval_start, metric_name)
);
CREATE INDEX agent_interval_metric_start_idx ON agent_interval_metric (interval_start);

-- +goose Down
DROP TABLE agent_interval_metric;
