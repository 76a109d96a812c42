package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Wire shapes: the JSON members of the Connect service model (botocore
// data/connect/2017-08-08/service-2.json) that this server reads or writes.
// Member names are the model's; optional members are pointers or omitempty
// so that absent stays absent on the wire.

// epoch is a timestamp on the wire: a JSON number of seconds since the Unix
// epoch, with milliseconds as the fraction (rest-json's default format).
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

func (t *epoch) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("timestamp must be a number of epoch seconds, got %s", b)
	}
	sec, frac := math.Modf(f)
	*t = epoch(time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC())
	return nil
}

func ts(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

func ptr[T any](v T) *T { return &v }

// ---- shared ----

// modified is when and in which region a resource was last changed, as
// every configuration resource of the model carries it (embedded: its
// members are the resource's own on the wire).
type modified struct {
	LastModifiedTime   *epoch `json:"LastModifiedTime,omitempty"`
	LastModifiedRegion string `json:"LastModifiedRegion,omitempty"`
}

type reference struct {
	Id  string `json:"Id,omitempty"`
	Arn string `json:"Arn,omitempty"`
}

// ---- configuration operations ----

type userSummary struct {
	Id       string `json:"Id"`
	Arn      string `json:"Arn"`
	Username string `json:"Username"`
	modified
}

type userIdentityInfo struct {
	FirstName string `json:"FirstName,omitempty"`
	LastName  string `json:"LastName,omitempty"`
	Email     string `json:"Email,omitempty"`
}

type userPhoneConfig struct {
	PhoneType                 string `json:"PhoneType"`
	AutoAccept                bool   `json:"AutoAccept"`
	AfterContactWorkTimeLimit int    `json:"AfterContactWorkTimeLimit"`
}

type userDetail struct {
	Id                 string           `json:"Id"`
	Arn                string           `json:"Arn"`
	Username           string           `json:"Username"`
	IdentityInfo       userIdentityInfo `json:"IdentityInfo"`
	PhoneConfig        userPhoneConfig  `json:"PhoneConfig"`
	SecurityProfileIds []string         `json:"SecurityProfileIds,omitempty"`
	RoutingProfileId   string           `json:"RoutingProfileId,omitempty"`
	HierarchyGroupId   string           `json:"HierarchyGroupId,omitempty"`
	modified
}

type describeUserResponse struct {
	User userDetail `json:"User"`
}

// resourceSummary is the summary Connect lists for a hierarchy group, a
// hierarchy level and a routing profile: the same fields for each.
type resourceSummary struct {
	Id   string `json:"Id"`
	Arn  string `json:"Arn"`
	Name string `json:"Name"`
	modified
}

type (
	hierarchyGroupSummary = resourceSummary
	hierarchyLevel        = resourceSummary
	routingProfileSummary = resourceSummary
)

// levels are the five levels of a user hierarchy, as a group's
// HierarchyPath (summaries or references) and the HierarchyStructure
// (level summaries) hold them.
type levels[T any] struct {
	LevelOne   *T `json:"LevelOne,omitempty"`
	LevelTwo   *T `json:"LevelTwo,omitempty"`
	LevelThree *T `json:"LevelThree,omitempty"`
	LevelFour  *T `json:"LevelFour,omitempty"`
	LevelFive  *T `json:"LevelFive,omitempty"`
}

// set puts v at level i+1 (i from 0); there is no level beyond the fifth.
func (l *levels[T]) set(i int, v *T) {
	at := [...]**T{&l.LevelOne, &l.LevelTwo, &l.LevelThree, &l.LevelFour, &l.LevelFive}
	if i >= 0 && i < len(at) {
		*at[i] = v
	}
}

type (
	hierarchyPath          = levels[hierarchyGroupSummary]
	hierarchyStructure     = levels[hierarchyLevel]
	hierarchyPathReference = levels[reference]
)

type hierarchyGroupDetail struct {
	Id            string        `json:"Id"`
	Arn           string        `json:"Arn"`
	Name          string        `json:"Name"`
	LevelId       string        `json:"LevelId,omitempty"`
	HierarchyPath hierarchyPath `json:"HierarchyPath"`
	modified
}

type describeUserHierarchyGroupResponse struct {
	HierarchyGroup hierarchyGroupDetail `json:"HierarchyGroup"`
}

type describeUserHierarchyStructureResponse struct {
	HierarchyStructure hierarchyStructure `json:"HierarchyStructure"`
}

type routingProfileQueueConfigSummary struct {
	QueueId   string `json:"QueueId"`
	QueueArn  string `json:"QueueArn"`
	QueueName string `json:"QueueName"`
	Priority  int    `json:"Priority"`
	Delay     int    `json:"Delay"`
	Channel   string `json:"Channel"`
}

type queueSummary struct {
	Id        string `json:"Id"`
	Arn       string `json:"Arn"`
	Name      string `json:"Name,omitempty"`
	QueueType string `json:"QueueType"`
	modified
}

type queueDetail struct {
	Name               string `json:"Name,omitempty"`
	QueueArn           string `json:"QueueArn"`
	QueueId            string `json:"QueueId"`
	Description        string `json:"Description,omitempty"`
	HoursOfOperationId string `json:"HoursOfOperationId,omitempty"`
	MaxContacts        *int   `json:"MaxContacts,omitempty"`
	Status             string `json:"Status,omitempty"`
	modified
}

type describeQueueResponse struct {
	Queue queueDetail `json:"Queue"`
}

type agentStatusSummary struct {
	Id   string `json:"Id"`
	Arn  string `json:"Arn"`
	Name string `json:"Name"`
	Type string `json:"Type"`
	modified
}

// ---- real-time metrics ----

type filters struct {
	Queues                 []string `json:"Queues"`
	Channels               []string `json:"Channels"`
	RoutingProfiles        []string `json:"RoutingProfiles"`
	RoutingStepExpressions []string `json:"RoutingStepExpressions"`
	AgentStatuses          []string `json:"AgentStatuses"`
	Subtypes               []string `json:"Subtypes"`
	ValidationTestTypes    []string `json:"ValidationTestTypes"`
}

type currentMetric struct {
	Name     string `json:"Name,omitempty"`
	MetricId string `json:"MetricId,omitempty"`
	Unit     string `json:"Unit,omitempty"`
}

type currentMetricSortCriteria struct {
	SortByMetric string `json:"SortByMetric"`
	SortOrder    string `json:"SortOrder"`
}

type getCurrentMetricDataRequest struct {
	Filters        *filters                    `json:"Filters"`
	Groupings      []string                    `json:"Groupings"`
	CurrentMetrics []currentMetric             `json:"CurrentMetrics"`
	NextToken      string                      `json:"NextToken"`
	MaxResults     *int                        `json:"MaxResults"`
	SortCriteria   []currentMetricSortCriteria `json:"SortCriteria"`
}

type dimensions struct {
	Queue          *reference `json:"Queue,omitempty"`
	Channel        string     `json:"Channel,omitempty"`
	RoutingProfile *reference `json:"RoutingProfile,omitempty"`
}

// metricData is one metric's value in a GetCurrentMetricData or
// GetMetricData result; M is the operation's metric type.
type metricData[M any] struct {
	Metric M        `json:"Metric"`
	Value  *float64 `json:"Value,omitempty"`
}

// metricResult is one group's metrics in a GetCurrentMetricData or
// GetMetricData response.
type metricResult[M any] struct {
	Dimensions  *dimensions     `json:"Dimensions,omitempty"`
	Collections []metricData[M] `json:"Collections"`
}

type (
	currentMetricData   = metricData[currentMetric]
	currentMetricResult = metricResult[currentMetric]
)

type getCurrentMetricDataResponse struct {
	NextToken             string                `json:"NextToken,omitempty"`
	MetricResults         []currentMetricResult `json:"MetricResults"`
	DataSnapshotTime      *epoch                `json:"DataSnapshotTime,omitempty"`
	ApproximateTotalCount int64                 `json:"ApproximateTotalCount"`
}

type contactFilter struct {
	ContactStates []string `json:"ContactStates"`
}

type userDataFilters struct {
	Queues              []string       `json:"Queues"`
	ContactFilter       *contactFilter `json:"ContactFilter"`
	RoutingProfiles     []string       `json:"RoutingProfiles"`
	Agents              []string       `json:"Agents"`
	UserHierarchyGroups []string       `json:"UserHierarchyGroups"`
}

type getCurrentUserDataRequest struct {
	Filters    *userDataFilters `json:"Filters"`
	NextToken  string           `json:"NextToken"`
	MaxResults *int             `json:"MaxResults"`
}

type agentStatusReference struct {
	StatusStartTimestamp *epoch `json:"StatusStartTimestamp,omitempty"`
	StatusArn            string `json:"StatusArn,omitempty"`
	StatusName           string `json:"StatusName,omitempty"`
}

type agentContactReference struct {
	ContactId                 string     `json:"ContactId,omitempty"`
	Channel                   string     `json:"Channel,omitempty"`
	InitiationMethod          string     `json:"InitiationMethod,omitempty"`
	AgentContactState         string     `json:"AgentContactState,omitempty"`
	StateStartTimestamp       *epoch     `json:"StateStartTimestamp,omitempty"`
	ConnectedToAgentTimestamp *epoch     `json:"ConnectedToAgentTimestamp,omitempty"`
	Queue                     *reference `json:"Queue,omitempty"`
}

type userDataWire struct {
	User                    *reference              `json:"User,omitempty"`
	RoutingProfile          *reference              `json:"RoutingProfile,omitempty"`
	HierarchyPath           *hierarchyPathReference `json:"HierarchyPath,omitempty"`
	Status                  *agentStatusReference   `json:"Status,omitempty"`
	AvailableSlotsByChannel map[string]int          `json:"AvailableSlotsByChannel,omitempty"`
	MaxSlotsByChannel       map[string]int          `json:"MaxSlotsByChannel,omitempty"`
	ActiveSlotsByChannel    map[string]int          `json:"ActiveSlotsByChannel,omitempty"`
	Contacts                []agentContactReference `json:"Contacts"`
	NextStatus              string                  `json:"NextStatus,omitempty"`
}

type getCurrentUserDataResponse struct {
	NextToken             string         `json:"NextToken,omitempty"`
	UserDataList          []userDataWire `json:"UserDataList"`
	ApproximateTotalCount int64          `json:"ApproximateTotalCount"`
}

// ---- historical metrics, v1 ----

type threshold struct {
	Comparison     string   `json:"Comparison,omitempty"`
	ThresholdValue *float64 `json:"ThresholdValue,omitempty"`
}

type historicalMetric struct {
	Name      string     `json:"Name,omitempty"`
	Threshold *threshold `json:"Threshold,omitempty"`
	Statistic string     `json:"Statistic,omitempty"`
	Unit      string     `json:"Unit,omitempty"`
}

type getMetricDataRequest struct {
	StartTime         *epoch             `json:"StartTime"`
	EndTime           *epoch             `json:"EndTime"`
	Filters           *filters           `json:"Filters"`
	Groupings         []string           `json:"Groupings"`
	HistoricalMetrics []historicalMetric `json:"HistoricalMetrics"`
	NextToken         string             `json:"NextToken"`
	MaxResults        *int               `json:"MaxResults"`
}

type (
	historicalMetricData   = metricData[historicalMetric]
	historicalMetricResult = metricResult[historicalMetric]
)

type getMetricDataResponse struct {
	NextToken     string                   `json:"NextToken,omitempty"`
	MetricResults []historicalMetricResult `json:"MetricResults"`
}

// ---- historical metrics, v2 ----

type intervalDetails struct {
	TimeZone       string `json:"TimeZone,omitempty"`
	IntervalPeriod string `json:"IntervalPeriod,omitempty"`
}

type filterV2 struct {
	FilterKey    string   `json:"FilterKey"`
	FilterValues []string `json:"FilterValues"`
}

type thresholdV2 struct {
	Comparison     string   `json:"Comparison,omitempty"`
	ThresholdValue *float64 `json:"ThresholdValue,omitempty"`
}

type metricFilterV2 struct {
	MetricFilterKey    string   `json:"MetricFilterKey,omitempty"`
	MetricFilterValues []string `json:"MetricFilterValues,omitempty"`
	Negate             bool     `json:"Negate,omitempty"`
}

type metricV2 struct {
	Name          string           `json:"Name,omitempty"`
	Threshold     []thresholdV2    `json:"Threshold,omitempty"`
	MetricId      string           `json:"MetricId,omitempty"`
	MetricFilters []metricFilterV2 `json:"MetricFilters,omitempty"`
}

type getMetricDataV2Request struct {
	ResourceArn string           `json:"ResourceArn"`
	StartTime   *epoch           `json:"StartTime"`
	EndTime     *epoch           `json:"EndTime"`
	Interval    *intervalDetails `json:"Interval"`
	Filters     []filterV2       `json:"Filters"`
	Groupings   []string         `json:"Groupings"`
	Metrics     []metricV2       `json:"Metrics"`
	NextToken   string           `json:"NextToken"`
	MaxResults  *int             `json:"MaxResults"`
}

type metricInterval struct {
	Interval  string `json:"Interval,omitempty"`
	StartTime *epoch `json:"StartTime,omitempty"`
	EndTime   *epoch `json:"EndTime,omitempty"`
}

type metricDataV2 struct {
	Metric metricV2 `json:"Metric"`
	Value  *float64 `json:"Value,omitempty"`
}

type metricResultV2 struct {
	Dimensions     map[string]string `json:"Dimensions,omitempty"`
	MetricInterval *metricInterval   `json:"MetricInterval,omitempty"`
	Collections    []metricDataV2    `json:"Collections"`
}

type getMetricDataV2Response struct {
	NextToken     string           `json:"NextToken,omitempty"`
	MetricResults []metricResultV2 `json:"MetricResults"`
}

// decodeBody decodes a JSON request body; unknown members are ignored like
// the real service does for forward compatibility, malformed JSON is a
// SerializationException-like InvalidRequestException.
func decodeBody(b []byte, v any) *apiError {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return invalidRequest("Could not parse request body: %v", err)
	}
	return nil
}
