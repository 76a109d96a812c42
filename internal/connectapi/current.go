package connectapi

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// filterChunk is the most ids a Connect filter takes.
const filterChunk = 100

// currentWorkers is how many chunks of a real-time read are in flight at
// once; the Limiter decides the rate.
const currentWorkers = 4

// CurrentChannels are the channels real-time queue snapshots are read for.
var CurrentChannels = []string{connectreporting.ChannelVoice, connectreporting.ChannelChat, connectreporting.ChannelTask}

// currentMetrics is every current metric QueueSnapshot holds, with its unit.
var currentMetrics = []types.CurrentMetric{
	{Name: types.CurrentMetricNameAgentsOnline, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsAvailable, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsOnContact, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsOnCall, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsAfterContactWork, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsNonProductive, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsError, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameAgentsStaffed, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameContactsInQueue, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameContactsScheduled, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameOldestContactAge, Unit: types.UnitSeconds},
	{Name: types.CurrentMetricNameSlotsActive, Unit: types.UnitCount},
	{Name: types.CurrentMetricNameSlotsAvailable, Unit: types.UnitCount},
}

// OldestContactAgeSeconds converts an OLDEST_CONTACT_AGE value to seconds:
// GetCurrentMetricData reports it in milliseconds when the request has no
// groupings and in seconds when it is grouped, whatever Unit says.
func OldestContactAgeSeconds(v float64, grouped bool) float64 {
	if grouped {
		return v
	}
	return v / 1000
}

// snapshotField returns the field of s that holds the current metric name,
// or nil for a metric the snapshot does not keep.
func snapshotField(s *connectreporting.QueueSnapshot, name types.CurrentMetricName) **float64 {
	switch name {
	case types.CurrentMetricNameAgentsOnline:
		return &s.AgentsOnline
	case types.CurrentMetricNameAgentsAvailable:
		return &s.AgentsAvailable
	case types.CurrentMetricNameAgentsOnContact:
		return &s.AgentsOnContact
	case types.CurrentMetricNameAgentsOnCall:
		return &s.AgentsOnCall
	case types.CurrentMetricNameAgentsAfterContactWork:
		return &s.AgentsAfterContactWork
	case types.CurrentMetricNameAgentsNonProductive:
		return &s.AgentsNonProductive
	case types.CurrentMetricNameAgentsError:
		return &s.AgentsError
	case types.CurrentMetricNameAgentsStaffed:
		return &s.AgentsStaffed
	case types.CurrentMetricNameContactsInQueue:
		return &s.ContactsInQueue
	case types.CurrentMetricNameContactsScheduled:
		return &s.ContactsScheduled
	case types.CurrentMetricNameOldestContactAge:
		return &s.OldestContactAgeSeconds
	case types.CurrentMetricNameSlotsActive:
		return &s.SlotsActive
	case types.CurrentMetricNameSlotsAvailable:
		return &s.SlotsAvailable
	}
	return nil
}

// setMetric stores one current metric value in a snapshot (a copy of it;
// the oldest contact's age converted to seconds). Unknown metrics are
// ignored.
func setMetric(s *connectreporting.QueueSnapshot, name types.CurrentMetricName, v *float64, grouped bool) {
	field := snapshotField(s, name)
	if field == nil {
		return
	}
	if v != nil {
		x := *v
		if name == types.CurrentMetricNameOldestContactAge {
			x = OldestContactAgeSeconds(x, grouped)
		}
		v = &x
	}
	*field = v
}

// CurrentQueueSnapshots reads GetCurrentMetricData for the queues (ids or
// ARNs) on VOICE, CHAT and TASK, with every current metric, grouped by QUEUE
// and CHANNEL: one snapshot per queue and channel the API reports. The queue
// filter is chunked by 100 and every page is read. SnapshotTime is the
// response's DataSnapshotTime (zero when the API gave none).
func (c *Client) CurrentQueueSnapshots(ctx context.Context, queueIDs []string) ([]connectreporting.QueueSnapshot, error) {
	chans := make([]types.Channel, len(CurrentChannels))
	for i, ch := range CurrentChannels {
		chans[i] = types.Channel(ch)
	}
	return forChunks(ctx, queueIDs, func(ctx context.Context, chunk []string) ([]connectreporting.QueueSnapshot, error) {
		p := connect.NewGetCurrentMetricDataPaginator(c.sdk, &connect.GetCurrentMetricDataInput{
			InstanceId:     c.inst(),
			Filters:        &types.Filters{Queues: chunk, Channels: chans},
			Groupings:      []types.Grouping{types.GroupingQueue, types.GroupingChannel},
			CurrentMetrics: currentMetrics,
			MaxResults:     aws.Int32(100),
		})
		var out []connectreporting.QueueSnapshot
		for p.HasMorePages() {
			pg, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("GetCurrentMetricData: %w", err)
			}
			snap := aws.ToTime(pg.DataSnapshotTime)
			for _, r := range pg.MetricResults {
				s := connectreporting.QueueSnapshot{SnapshotTime: connectreporting.UTC(snap)}
				if d := r.Dimensions; d != nil {
					if d.Queue != nil {
						s.QueueID, s.QueueARN = aws.ToString(d.Queue.Id), aws.ToString(d.Queue.Arn)
						if s.QueueID == "" {
							s.QueueID = connectreporting.IDFromARN(s.QueueARN)
						}
						c.noteARN(s.QueueARN)
					}
					s.Channel = connectreporting.NormalizeChannel(string(d.Channel))
				}
				if s.QueueID == "" {
					continue // not a queue's row (cannot happen when grouped by QUEUE)
				}
				for _, m := range r.Collections {
					if m.Metric != nil {
						setMetric(&s, m.Metric.Name, m.Value, true)
					}
				}
				out = append(out, s)
			}
		}
		return out, nil
	})
}

// CurrentAgentSnapshots reads GetCurrentUserData for every logged-in agent
// of the routing profiles (ids or ARNs): the routing-profile filter is
// chunked by 100 and every page is read, so there is no cap on the number of
// agents. Each agent has one routing profile, so no agent is read twice.
// SnapshotTime is left zero (the API gives none): the caller sets it.
func (c *Client) CurrentAgentSnapshots(ctx context.Context, routingProfileIDs []string) ([]connectreporting.AgentSnapshot, error) {
	return c.currentUserData(ctx, routingProfileIDs, func(ids []string) *types.UserDataFilters {
		return &types.UserDataFilters{RoutingProfiles: ids}
	})
}

// CurrentAgentSnapshotsByAgent is CurrentAgentSnapshots filtered by agent
// (user) ids instead, chunked by 100.
func (c *Client) CurrentAgentSnapshotsByAgent(ctx context.Context, agentIDs []string) ([]connectreporting.AgentSnapshot, error) {
	return c.currentUserData(ctx, agentIDs, func(ids []string) *types.UserDataFilters {
		return &types.UserDataFilters{Agents: ids}
	})
}

func (c *Client) currentUserData(ctx context.Context, ids []string, filter func([]string) *types.UserDataFilters) ([]connectreporting.AgentSnapshot, error) {
	all, err := forChunks(ctx, ids, func(ctx context.Context, chunk []string) ([]connectreporting.AgentSnapshot, error) {
		p := connect.NewGetCurrentUserDataPaginator(c.sdk, &connect.GetCurrentUserDataInput{
			InstanceId: c.inst(), Filters: filter(chunk), MaxResults: aws.Int32(100),
		})
		var out []connectreporting.AgentSnapshot
		for p.HasMorePages() {
			pg, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("GetCurrentUserData: %w", err)
			}
			for i := range pg.UserDataList {
				if a, ok := c.agentSnapshot(&pg.UserDataList[i]); ok {
					out = append(out, a)
				}
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	// An agent can only appear twice with overlapping filters (queues); keep one.
	seen := make(map[string]bool, len(all))
	out := all[:0]
	for _, a := range all {
		if !seen[a.AgentID] {
			seen[a.AgentID] = true
			out = append(out, a)
		}
	}
	return out, nil
}

func (c *Client) agentSnapshot(u *types.UserData) (connectreporting.AgentSnapshot, bool) {
	var a connectreporting.AgentSnapshot
	if u.User == nil {
		return a, false
	}
	a.AgentID, a.AgentARN = aws.ToString(u.User.Id), aws.ToString(u.User.Arn)
	if a.AgentID == "" {
		a.AgentID = connectreporting.IDFromARN(a.AgentARN)
	}
	if a.AgentID == "" {
		return a, false
	}
	c.noteARN(a.AgentARN)
	if st := u.Status; st != nil {
		a.StatusName, a.StatusARN = aws.ToString(st.StatusName), aws.ToString(st.StatusArn)
		a.StatusStartTimestamp = connectreporting.UTC(aws.ToTime(st.StatusStartTimestamp))
	}
	if rp := u.RoutingProfile; rp != nil {
		a.RoutingProfileID = aws.ToString(rp.Id)
		if a.RoutingProfileID == "" {
			a.RoutingProfileID = connectreporting.IDFromARN(aws.ToString(rp.Arn))
		}
	}
	a.ContactCount = len(u.Contacts)
	for _, ct := range u.Contacts {
		if a.ContactsByChannel == nil {
			a.ContactsByChannel = map[string]int{}
		}
		a.ContactsByChannel[connectreporting.NormalizeChannel(string(ct.Channel))]++
	}
	return a, true
}

// forChunks runs fn on ids in chunks of 100, a few chunks at once, and
// concatenates the results in chunk order. The first error cancels the rest.
func forChunks[T any](ctx context.Context, ids []string, fn func(context.Context, []string) ([]T, error)) ([]T, error) {
	parts := chunks(ids, filterChunk)
	results := make([][]T, len(parts))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, currentWorkers)
	for i, part := range parts {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, err := fn(ctx, part)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
				return
			}
			results[i] = r
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		return nil, first
	}
	var out []T
	for _, r := range results {
		out = append(out, r...)
	}
	return out, nil
}
