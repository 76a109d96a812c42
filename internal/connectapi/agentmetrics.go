package connectapi

import (
	"context"
	"fmt"
	"slices"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// agentMetrics is what AgentIntervalMetrics asks GetMetricDataV2 for per
// agent and channel (every one of them valid with the AGENT and CHANNEL
// groupings in botocore's connect model). AVG_INTERACTION_TIME is not: the
// API rejects it with AGENT, so agents have SUM_INTERACTION_TIME only.
var agentMetrics = slices.Concat([]queueMetric{plain("CONTACTS_HANDLED")}, handlingMetrics, []queueMetric{
	// The model: "only supports the following filter keys as
	// INITIATION_METHOD: INBOUND | OUTBOUND | CALLBACK | API |
	// CALLBACK_CUSTOMER_FIRST_DIALED".
	{name: "SUM_CONNECTING_TIME_AGENT", store: "SUM_CONNECTING_TIME_AGENT",
		methods: []string{"INBOUND", "OUTBOUND", "CALLBACK", "API", "CALLBACK_CUSTOMER_FIRST_DIALED"}},
})

// agentAverages: the __SUM/__COUNT rule of the queue averages.
var agentAverages = averages[:3] // AVG_HANDLE_TIME, AVG_HOLD_TIME, AVG_AFTER_CONTACT_WORK_TIME

// agentTimeMetrics are valid with the AGENT grouping but not with CHANNEL
// ("Valid groupings and filters: Routing Profile, Agent, Agent
// Hierarchy"): asked per agent only and stored with channel ChannelAll.
// AGENT_OCCUPANCY is a percentage the API gives no exact denominator for;
// it is stored as reported, without __SUM/__COUNT.
var agentTimeMetrics = []queueMetric{
	plain("AGENT_OCCUPANCY"),
	plain("SUM_ONLINE_TIME_AGENT"),
	plain("SUM_IDLE_TIME_AGENT"),
	plain("SUM_NON_PRODUCTIVE_TIME_AGENT"),
	plain("SUM_CONTACT_TIME_AGENT"),
}

// AgentMetricNames lists every metric name AgentIntervalMetrics stores per
// agent and channel (VOICE, CHAT, TASK).
func AgentMetricNames() []string {
	var out []string
	for _, m := range agentMetrics {
		out = append(out, m.store)
	}
	for _, a := range agentAverages {
		out = append(out, a.avg+SuffixSum, a.avg+SuffixCount)
	}
	return out
}

// AgentTimeMetricNames lists the metric names AgentIntervalMetrics stores
// per agent with channel ChannelAll.
func AgentTimeMetricNames() []string {
	var out []string
	for _, m := range agentTimeMetrics {
		out = append(out, m.store)
	}
	return out
}

// AgentIDs lists the ids of the instance's users (ListUsers), in the API's
// order.
func (c *Client) AgentIDs(ctx context.Context) ([]string, error) {
	users, _, err := c.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("connectapi: %w", err)
	}
	ids := make([]string, 0, len(users))
	for _, u := range users {
		id := u.ID
		if id == "" {
			id = connectreporting.IDFromARN(u.ARN)
		}
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// AgentIntervalMetrics runs GetMetricDataV2 for agentIDs over [start, end),
// interval FIFTEEN_MIN in loc, every page, with the AGENT filter chunked by
// 100 (each agent is in exactly one chunk). Per chunk it makes two
// requests: grouped by AGENT and CHANNEL (filtered on VOICE, CHAT, TASK)
// for the contact metrics (AgentMetricNames, averages with __SUM/__COUNT
// beside them as for queues), and grouped by AGENT alone for the agent-time
// metrics the API reports per agent only (AgentTimeMetricNames, channel
// ChannelAll). A value the API returns as null is not stored.
//
// start and end are as for QueueIntervalMetrics.
func (c *Client) AgentIntervalMetrics(ctx context.Context, agentIDs []string, start, end time.Time, loc *time.Location) ([]connectreporting.AgentIntervalMetric, error) {
	tz, arn, skip, err := c.metricWindow(ctx, len(agentIDs), start, end, loc)
	if err != nil || skip {
		return nil, err
	}
	var out []connectreporting.AgentIntervalMetric
	emit := func(id, channel string, is, ie time.Time, name string, v float64) {
		out = append(out, connectreporting.AgentIntervalMetric{AgentID: id, Channel: channel, IntervalStart: is, IntervalEnd: ie, MetricName: name, Value: v})
	}
	for _, chunk := range chunks(agentIDs, MaxFilterValues) {
		for _, req := range []metricRequest{
			{dim: "AGENT", ids: chunk, channels: true, metrics: agentMetrics, averages: agentAverages},
			{dim: "AGENT", ids: chunk, metrics: agentTimeMetrics},
		} {
			if err := c.metricPages(ctx, arn, tz, start, end, req, emit); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
