package connectapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// GetMetricDataV2 limits (botocore's connect 2017-08-08 model and the API
// reference).
const (
	// MaxFifteenMinRange: with IntervalPeriod FIFTEEN_MIN, EndTime-StartTime
	// must be less than 3 days.
	MaxFifteenMinRange = 72 * time.Hour
	// MaxFilterValues is the number of resource filter values (queue ids)
	// one request may carry; CHANNEL values do not count.
	MaxFilterValues = 100
	// MetricPageSize is the largest MaxResults.
	MetricPageSize = 100
	// maxThreshold is the largest ThresholdValue (seconds, 7 days): a
	// "…_IN_X" count with it counts every contact that has the time at all.
	maxThreshold = 604800
)

// QueueMetricChannels are the channels the queue metrics are filtered on.
var QueueMetricChannels = []string{connectreporting.ChannelVoice, connectreporting.ChannelChat, connectreporting.ChannelTask}

// Stored metric names beside the API's own: threshold metrics carry their
// threshold in the name, and every average and percentage X has X__SUM and
// X__COUNT beside it with X = X__SUM / X__COUNT, so that any longer period
// rolls up as SUM(X__SUM) / SUM(X__COUNT).
const (
	MetricServiceLevel20      = "SERVICE_LEVEL_20"
	MetricServiceLevel60      = "SERVICE_LEVEL_60"
	MetricAnsweredIn20        = "SUM_CONTACTS_ANSWERED_IN_20"
	MetricAnsweredIn60        = "SUM_CONTACTS_ANSWERED_IN_60"
	MetricAbandonedIn20       = "SUM_CONTACTS_ABANDONED_IN_20"
	MetricAbandonedIn60       = "SUM_CONTACTS_ABANDONED_IN_60"
	SuffixSum                 = "__SUM"
	SuffixCount               = "__COUNT"
	metricContactsAnswered    = "SUM_CONTACTS_ANSWERED_IN_X"
	metricContactsAbandonedIn = "SUM_CONTACTS_ABANDONED_IN_X"
	metricRemovedFromQueue    = "CONTACTS_REMOVED_FROM_QUEUE_IN_X"
	metricServiceLevel        = "SERVICE_LEVEL"
)

// queueMetric is one metric of the request.
type queueMetric struct {
	name       string  // API name
	comparison string  // threshold comparison, "" when none
	threshold  float64 // seconds
	store      string  // stored name; "" = only an input of derived values
	// methods is an INITIATION_METHOD metric filter (nil = none).
	methods []string
}

func (m queueMetric) key() string {
	if m.comparison == "" {
		return m.name
	}
	return m.name + "/" + m.comparison + "/" + strconv.FormatFloat(m.threshold, 'f', -1, 64)
}

func plain(name string) queueMetric { return queueMetric{name: name, store: name} }

func inX(name, cmp string, x float64, store string) queueMetric {
	return queueMetric{name: name, comparison: cmp, threshold: x, store: store}
}

// handlingMetrics are the handling figures asked for queues and agents
// alike, after CONTACTS_HANDLED (and, for queues, CONTACTS_ABANDONED).
var handlingMetrics = []queueMetric{
	plain("CONTACTS_TRANSFERRED_OUT"),
	plain("CONTACTS_PUT_ON_HOLD"),
	plain("SUM_HANDLE_TIME"),
	plain("SUM_HOLD_TIME"),
	plain("SUM_AFTER_CONTACT_WORK_TIME"),
	plain("SUM_INTERACTION_TIME"),
	plain("AVG_HANDLE_TIME"),
	plain("AVG_HOLD_TIME"),
	plain("AVG_AFTER_CONTACT_WORK_TIME"),
}

// queueMetrics is what QueueIntervalMetrics asks GetMetricDataV2 for.
var queueMetrics = slices.Concat([]queueMetric{
	plain("CONTACTS_CREATED"),
	plain("CONTACTS_QUEUED"),
	plain("CONTACTS_HANDLED"),
	plain("CONTACTS_ABANDONED"),
}, handlingMetrics, []queueMetric{
	plain("AVG_QUEUE_ANSWER_TIME"),
	plain("AVG_ABANDON_TIME"),
	plain("AVG_INTERACTION_TIME"),
	plain("MAX_QUEUED_TIME"),
	inX(metricServiceLevel, "LT", 20, MetricServiceLevel20),
	inX(metricServiceLevel, "LT", 60, MetricServiceLevel60),
	inX(metricContactsAnswered, "LT", 20, MetricAnsweredIn20),
	inX(metricContactsAnswered, "LT", 60, MetricAnsweredIn60),
	inX(metricContactsAbandonedIn, "LT", 20, MetricAbandonedIn20),
	inX(metricContactsAbandonedIn, "LT", 60, MetricAbandonedIn60),
	// Denominators: every answered / abandoned / dequeued contact.
	inX(metricContactsAnswered, "LTE", maxThreshold, ""),
	inX(metricContactsAbandonedIn, "LTE", maxThreshold, ""),
	inX(metricRemovedFromQueue, "LTE", maxThreshold, ""),
})

// averages: how each average's __SUM and __COUNT are made.
//
//   - sum names an API sum metric: __SUM is it, __COUNT is SUM/AVG (the
//     API's own denominator, rounded to a whole number), or the fallback
//     count when the average is 0.
//   - count names a count metric (key): __COUNT is it, __SUM is AVG × count.
type average struct {
	avg      string // stored (and API) name of the average
	sum      string // key of the API sum, or ""
	count    string // key of the count metric
	fallback string // count used when the average is 0 (sum given)
}

var averages = []average{
	{avg: "AVG_HANDLE_TIME", sum: "SUM_HANDLE_TIME", fallback: "CONTACTS_HANDLED"},
	{avg: "AVG_HOLD_TIME", sum: "SUM_HOLD_TIME", fallback: "CONTACTS_PUT_ON_HOLD"},
	{avg: "AVG_AFTER_CONTACT_WORK_TIME", sum: "SUM_AFTER_CONTACT_WORK_TIME", fallback: "CONTACTS_HANDLED"},
	{avg: "AVG_INTERACTION_TIME", sum: "SUM_INTERACTION_TIME", fallback: "CONTACTS_HANDLED"},
	{avg: "AVG_QUEUE_ANSWER_TIME", count: inX(metricContactsAnswered, "LTE", maxThreshold, "").key()},
	{avg: "AVG_ABANDON_TIME", count: inX(metricContactsAbandonedIn, "LTE", maxThreshold, "").key()},
	{avg: MetricServiceLevel20, count: inX(metricRemovedFromQueue, "LTE", maxThreshold, "").key()},
	{avg: MetricServiceLevel60, count: inX(metricRemovedFromQueue, "LTE", maxThreshold, "").key()},
}

// QueueMetricNames lists every metric name QueueIntervalMetrics stores.
func QueueMetricNames() []string {
	var out []string
	for _, m := range queueMetrics {
		if m.store != "" {
			out = append(out, m.store)
		}
	}
	for _, a := range averages {
		out = append(out, a.avg+SuffixSum, a.avg+SuffixCount)
	}
	return out
}

// StandardQueueIDs lists the ids of the instance's STANDARD queues (agent
// queues have no GetMetricDataV2 queue metrics), in the API's order.
func (c *Client) StandardQueueIDs(ctx context.Context) ([]string, error) {
	in := &connect.ListQueuesInput{
		InstanceId: aws.String(c.InstanceID),
		QueueTypes: []types.QueueType{types.QueueTypeStandard},
		MaxResults: aws.Int32(1000),
	}
	var ids []string
	p := connect.NewListQueuesPaginator(c.sdk, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("connectapi: ListQueues: %w", err)
		}
		for _, q := range out.QueueSummaryList {
			c.noteARN(aws.ToString(q.Arn))
			if q.QueueType != "" && q.QueueType != types.QueueTypeStandard {
				continue
			}
			id := aws.ToString(q.Id)
			if id == "" {
				id = connectreporting.IDFromARN(aws.ToString(q.Arn))
			}
			if id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// metricWindow checks the range and zone of a GetMetricDataV2 call and
// returns the zone's name and the instance ARN; skip is true when there are
// no ids to ask for.
func (c *Client) metricWindow(ctx context.Context, ids int, start, end time.Time, loc *time.Location) (tz, arn string, skip bool, err error) {
	if !start.Before(end) {
		return "", "", false, fmt.Errorf("connectapi: GetMetricDataV2: start %s is not before end %s", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	if end.Sub(start) >= MaxFifteenMinRange {
		return "", "", false, fmt.Errorf("connectapi: GetMetricDataV2: range %s is not less than 3 days", end.Sub(start))
	}
	if tz, err = zoneName(loc); err != nil {
		return "", "", false, err
	}
	if ids == 0 {
		return tz, "", true, nil
	}
	arn, err = c.InstanceARN(ctx)
	return tz, arn, false, err
}

// QueueIntervalMetrics runs GetMetricDataV2 for queueIDs over [start, end):
// filters QUEUE (at most 100 ids per request) and CHANNEL (VOICE, CHAT,
// TASK), groupings QUEUE and CHANNEL, interval FIFTEEN_MIN in loc (an IANA
// zone), every page. It returns one IntervalMetric per queue, channel,
// interval and stored metric name (see QueueMetricNames); an average the
// API reports without a value (no contacts to average) is left out, its
// __SUM and __COUNT are stored as 0.
//
// start and end must be interval boundaries of loc and end-start less than
// 3 days; the API keeps 3 months of data and EndTime cannot lie in the
// future. Callers slice longer ranges (package historical does).
func (c *Client) QueueIntervalMetrics(ctx context.Context, queueIDs []string, start, end time.Time, loc *time.Location) ([]connectreporting.IntervalMetric, error) {
	tz, arn, skip, err := c.metricWindow(ctx, len(queueIDs), start, end, loc)
	if err != nil || skip {
		return nil, err
	}
	var out []connectreporting.IntervalMetric
	for _, chunk := range chunks(queueIDs, MaxFilterValues) {
		req := metricRequest{dim: "QUEUE", ids: chunk, channels: true, metrics: queueMetrics, averages: averages}
		err := c.metricPages(ctx, arn, tz, start, end, req, func(id, channel string, is, ie time.Time, name string, v float64) {
			out = append(out, connectreporting.IntervalMetric{QueueID: id, Channel: channel, IntervalStart: is, IntervalEnd: ie, MetricName: name, Value: v})
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// metricRequest is one GetMetricDataV2 request shape: a resource dimension
// (QUEUE or AGENT) filtered on ids and grouped by, with or without the
// CHANNEL filter and grouping.
type metricRequest struct {
	dim      string
	ids      []string
	channels bool
	metrics  []queueMetric
	averages []average
}

// metricPages runs one GetMetricDataV2 request over every page and calls
// emit for each stored value.
func (c *Client) metricPages(ctx context.Context, arn, tz string, start, end time.Time, req metricRequest,
	emit func(id, channel string, is, ie time.Time, name string, v float64)) error {
	metrics := make([]types.MetricV2, len(req.metrics))
	for i, m := range req.metrics {
		metrics[i] = types.MetricV2{Name: aws.String(m.name)}
		if m.comparison != "" {
			metrics[i].Threshold = []types.ThresholdV2{{Comparison: aws.String(m.comparison), ThresholdValue: aws.Float64(m.threshold)}}
		}
		if m.methods != nil {
			metrics[i].MetricFilters = []types.MetricFilterV2{{MetricFilterKey: aws.String("INITIATION_METHOD"), MetricFilterValues: m.methods}}
		}
	}
	filters := []types.FilterV2{{FilterKey: aws.String(req.dim), FilterValues: req.ids}}
	groupings := []string{req.dim}
	if req.channels {
		filters = append(filters, types.FilterV2{FilterKey: aws.String("CHANNEL"), FilterValues: QueueMetricChannels})
		groupings = append(groupings, "CHANNEL")
	}
	in := &connect.GetMetricDataV2Input{
		ResourceArn: aws.String(arn),
		StartTime:   aws.Time(start.UTC()),
		EndTime:     aws.Time(end.UTC()),
		Interval:    &types.IntervalDetails{TimeZone: aws.String(tz), IntervalPeriod: types.IntervalPeriodFifteenMin},
		Filters:     filters,
		Groupings:   groupings,
		Metrics:     metrics,
		MaxResults:  aws.Int32(MetricPageSize),
	}
	p := connect.NewGetMetricDataV2Paginator(c.sdk, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("connectapi: GetMetricDataV2 %s..%s: %w", start.Format(time.RFC3339), end.Format(time.RFC3339), err)
		}
		for i := range page.MetricResults {
			if err := convertResult(&page.MetricResults[i], req, emit); err != nil {
				return fmt.Errorf("connectapi: GetMetricDataV2: %w", err)
			}
		}
	}
	return nil
}

// zoneName is the IANA name GetMetricDataV2's Interval.TimeZone takes.
func zoneName(loc *time.Location) (string, error) {
	if loc == nil {
		return "UTC", nil
	}
	name := loc.String()
	if name == "" || name == "Local" {
		return "", errors.New("connectapi: GetMetricDataV2 needs a named IANA time zone (e.g. Europe/London), not the process's local zone")
	}
	return name, nil
}

// convertResult turns one MetricResult (one queue or agent, channel and
// interval) into stored values, with the sums and counts beside every
// average. Without the CHANNEL grouping the channel is ChannelAll.
func convertResult(r *types.MetricResultV2, req metricRequest, emit func(id, channel string, is, ie time.Time, name string, v float64)) error {
	id := r.Dimensions[req.dim]
	if id == "" {
		id = r.Dimensions[req.dim+"_ARN"]
	}
	id = connectreporting.IDFromARN(id)
	channel := connectreporting.ChannelAll
	if req.channels {
		channel = connectreporting.NormalizeChannel(r.Dimensions["CHANNEL"])
	}
	if id == "" || channel == "" {
		return fmt.Errorf("result without %s or CHANNEL dimension: %v", req.dim, r.Dimensions)
	}
	if r.MetricInterval == nil || r.MetricInterval.StartTime == nil || r.MetricInterval.EndTime == nil {
		return fmt.Errorf("result of %s %s %s without MetricInterval", strings.ToLower(req.dim), id, channel)
	}
	is, ie := r.MetricInterval.StartTime.UTC(), r.MetricInterval.EndTime.UTC()

	vals := make(map[string]*float64, len(r.Collections))
	for _, d := range r.Collections {
		if d.Metric == nil {
			continue
		}
		m := queueMetric{name: aws.ToString(d.Metric.Name)}
		if len(d.Metric.Threshold) > 0 {
			m.comparison = aws.ToString(d.Metric.Threshold[0].Comparison)
			m.threshold = aws.ToFloat64(d.Metric.Threshold[0].ThresholdValue)
		}
		vals[m.key()] = d.Value
	}
	add := func(name string, v float64) { emit(id, channel, is, ie, name, v) }
	stored := map[string]*float64{}
	for _, m := range req.metrics {
		v := vals[m.key()]
		if m.store != "" {
			stored[m.store] = v
			if v != nil {
				add(m.store, *v)
			}
		}
	}
	val := func(key string) float64 {
		if v := vals[key]; v != nil {
			return *v
		}
		return 0
	}
	for _, a := range req.averages {
		avg := stored[a.avg]
		var sum, count float64
		switch {
		case avg == nil:
			// nothing to average: 0 / 0
		case a.sum != "":
			sum = val(a.sum)
			if *avg != 0 {
				count = math.Round(sum / *avg)
			} else {
				count = val(a.fallback)
			}
		default:
			count = val(a.count)
			sum = *avg * count
		}
		add(a.avg+SuffixSum, sum)
		add(a.avg+SuffixCount, count)
	}
	return nil
}
