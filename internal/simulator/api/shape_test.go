package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
)

// botocore's service model, the authority for the wire format.
type serviceModel struct {
	Operations map[string]struct {
		HTTP struct {
			Method     string `json:"method"`
			RequestURI string `json:"requestUri"`
		} `json:"http"`
		Output *struct {
			Shape string `json:"shape"`
		} `json:"output"`
		Errors []struct {
			Shape string `json:"shape"`
		} `json:"errors"`
	} `json:"operations"`
	Shapes map[string]modelShape `json:"shapes"`
}

type modelShape struct {
	Type    string `json:"type"`
	Members map[string]struct {
		Shape    string `json:"shape"`
		Location string `json:"location"`
	} `json:"members"`
	Member *struct {
		Shape string `json:"shape"`
	} `json:"member"`
	Key *struct {
		Shape string `json:"shape"`
	} `json:"key"`
	Value *struct {
		Shape string `json:"shape"`
	} `json:"value"`
	Enum  []string `json:"enum"`
	Error *struct {
		HTTPStatusCode int `json:"httpStatusCode"`
	} `json:"error"`
}

// loadModel finds botocore through python3 and reads the Connect model;
// it skips when there is none, except under CI=true.
func loadModel(t *testing.T) *serviceModel {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	out, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		skip("python3 with botocore not available: %v", err)
	}
	base := filepath.Join(strings.TrimSpace(string(out)), "data", "connect")
	matches, _ := filepath.Glob(filepath.Join(base, "*", "service-2.json*"))
	if len(matches) == 0 {
		skip("no Connect service model under %s", base)
	}
	sort.Strings(matches)
	path := matches[len(matches)-1]
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	var m serviceModel
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &m
}

type captured struct {
	op     string
	status int
	header http.Header
	body   []byte
}

// captureHandler records every response with the model operation its method
// and path belong to.
type captureHandler struct {
	next   http.Handler
	routes []route
	mu     sync.Mutex
	got    []captured
}

type route struct {
	op     string
	method string
	re     *regexp.Regexp
}

func newCapture(m *serviceModel, next http.Handler) *captureHandler {
	c := &captureHandler{next: next}
	label := regexp.MustCompile(`\{[^}]+\}`)
	for _, op := range Operations {
		o, ok := m.Operations[op]
		if !ok {
			continue
		}
		uri := strings.SplitN(o.HTTP.RequestURI, "?", 2)[0]
		quoted := regexp.QuoteMeta(label.ReplaceAllString(uri, "LABEL"))
		pat := "^" + strings.ReplaceAll(quoted, "LABEL", "[^/]+") + "$"
		c.routes = append(c.routes, route{op: op, method: o.HTTP.Method, re: regexp.MustCompile(pat)})
	}
	return c
}

func (c *captureHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	c.next.ServeHTTP(rec, r)
	op := ""
	for _, rt := range c.routes {
		if rt.method == r.Method && rt.re.MatchString(r.URL.EscapedPath()) {
			op = rt.op
		}
	}
	c.mu.Lock()
	c.got = append(c.got, captured{op: op, status: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes()})
	c.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// checkValue walks v against shape name, reporting members the model does
// not have, enum values outside the model's enums and wrongly typed values.
func checkValue(t *testing.T, m *serviceModel, shapeName, path string, v any, seen map[string]bool) {
	t.Helper()
	sh, ok := m.Shapes[shapeName]
	if !ok {
		t.Errorf("%s: shape %s not in the model", path, shapeName)
		return
	}
	switch sh.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: %s wants an object, got %T", path, shapeName, v)
			return
		}
		for k, val := range obj {
			mem, ok := sh.Members[k]
			if !ok {
				t.Errorf("%s: member %q is not in shape %s", path, k, shapeName)
				continue
			}
			if mem.Location != "" {
				t.Errorf("%s.%s: member bound to %s, not the body", path, k, mem.Location)
			}
			seen[shapeName+"."+k] = true
			checkValue(t, m, mem.Shape, path+"."+k, val, seen)
		}
	case "list":
		arr, ok := v.([]any)
		if !ok {
			t.Errorf("%s: %s wants an array, got %T", path, shapeName, v)
			return
		}
		for _, el := range arr {
			checkValue(t, m, sh.Member.Shape, path+"[]", el, seen)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: %s wants an object, got %T", path, shapeName, v)
			return
		}
		for k, val := range obj {
			checkValue(t, m, sh.Key.Shape, path+"{key}", k, seen)
			checkValue(t, m, sh.Value.Shape, path+"{"+k+"}", val, seen)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			t.Errorf("%s: %s wants a string, got %T", path, shapeName, v)
			return
		}
		if len(sh.Enum) > 0 && !slices.Contains(sh.Enum, s) {
			t.Errorf("%s: %q is not in enum %s", path, s, shapeName)
		}
	case "integer", "long", "double", "float", "timestamp":
		// timestamps: rest-json's default format, epoch seconds as a JSON number
		if _, ok := v.(json.Number); !ok {
			t.Errorf("%s: %s (%s) wants a JSON number, got %T", path, shapeName, sh.Type, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			t.Errorf("%s: %s wants a boolean, got %T", path, shapeName, v)
		}
	}
}

func TestResponsesMatchTheServiceModel(t *testing.T) {
	m := loadModel(t)
	for _, op := range Operations {
		if _, ok := m.Operations[op]; !ok {
			t.Fatalf("operation %s is not in the model", op)
		}
	}
	src := historyFixture()
	capt := newCapture(m, New(src, Options{}))
	hs := httptest.NewServer(capt)
	t.Cleanup(hs.Close)
	c := testClient(t, hs.URL, 3)
	in := aws.String(testInstance)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fails := func(_ any, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("want an error")
		}
	}
	var allCurrent []types.CurrentMetric
	for _, n := range sortedKeys(currentUnits) {
		allCurrent = append(allCurrent, types.CurrentMetric{Name: types.CurrentMetricName(n), Unit: types.Unit(currentUnits[n])})
	}
	var allV2 []types.MetricV2
	for _, n := range sortedKeys(metricUnitV2) {
		allV2 = append(allV2, v2Metrics(n)...)
	}
	var allV1 []types.HistoricalMetric
	for _, n := range sortedKeys(v1Metrics) {
		d := v1Metrics[n]
		allV1 = append(allV1, hm(n, types.Statistic(d.stat), types.Unit(d.unit)))
	}

	must(c.ListUsers(ctx(t), &connect.ListUsersInput{InstanceId: in, MaxResults: aws.Int32(2)}))
	must(c.DescribeUser(ctx(t), &connect.DescribeUserInput{InstanceId: in, UserId: aws.String("u-001")}))
	must(c.ListUserHierarchyGroups(ctx(t), &connect.ListUserHierarchyGroupsInput{InstanceId: in}))
	must(c.DescribeUserHierarchyGroup(ctx(t), &connect.DescribeUserHierarchyGroupInput{InstanceId: in, HierarchyGroupId: aws.String("g-eu-b")}))
	must(c.DescribeUserHierarchyStructure(ctx(t), &connect.DescribeUserHierarchyStructureInput{InstanceId: in}))
	must(c.ListRoutingProfiles(ctx(t), &connect.ListRoutingProfilesInput{InstanceId: in}))
	must(c.ListRoutingProfileQueues(ctx(t), &connect.ListRoutingProfileQueuesInput{InstanceId: in, RoutingProfileId: aws.String("rp-1"), MaxResults: aws.Int32(1)}))
	must(c.ListQueues(ctx(t), &connect.ListQueuesInput{InstanceId: in}))
	must(c.DescribeQueue(ctx(t), &connect.DescribeQueueInput{InstanceId: in, QueueId: aws.String("q-001")}))
	must(c.ListAgentStatuses(ctx(t), &connect.ListAgentStatusesInput{InstanceId: in, MaxResults: aws.Int32(2)}))
	must(c.SearchUsers(ctx(t), &connect.SearchUsersInput{InstanceId: in, MaxResults: aws.Int32(2)}))
	must(c.SearchQueues(ctx(t), &connect.SearchQueuesInput{InstanceId: in, SearchCriteria: &types.QueueSearchCriteria{QueueTypeCondition: types.SearchableQueueTypeStandard}}))
	must(c.SearchRoutingProfiles(ctx(t), &connect.SearchRoutingProfilesInput{InstanceId: in}))
	must(c.SearchUserHierarchyGroups(ctx(t), &connect.SearchUserHierarchyGroupsInput{InstanceId: in}))
	must(c.SearchAgentStatuses(ctx(t), &connect.SearchAgentStatusesInput{InstanceId: in}))
	for _, g := range [][]types.Grouping{nil, {types.GroupingQueue, types.GroupingChannel}, {types.GroupingRoutingProfile}} {
		must(c.GetCurrentMetricData(ctx(t), &connect.GetCurrentMetricDataInput{InstanceId: in, Filters: &types.Filters{RoutingProfiles: []string{"rp-0", "rp-1"}},
			Groupings: g, CurrentMetrics: allCurrent, MaxResults: aws.Int32(3)}))
	}
	must(c.GetCurrentUserData(ctx(t), &connect.GetCurrentUserDataInput{InstanceId: in, Filters: &types.UserDataFilters{UserHierarchyGroups: []string{"g-eu"}}, MaxResults: aws.Int32(4)}))
	for _, g := range [][]string{nil, {"QUEUE", "CHANNEL", "INITIATION_METHOD"}, {"ROUTING_PROFILE", "AGENT_HIERARCHY_LEVEL_ONE", "AGENT_HIERARCHY_LEVEL_TWO"}} {
		metrics := allV2
		if len(g) > 0 && g[0] == "ROUTING_PROFILE" {
			metrics = slices.DeleteFunc(slices.Clone(allV2), func(m types.MetricV2) bool { return noAgentMetrics[*m.Name] })
		}
		must(c.GetMetricDataV2(ctx(t), &connect.GetMetricDataV2Input{ResourceArn: aws.String(instanceARN),
			StartTime: aws.Time(at(9, 0, 0)), EndTime: aws.Time(at(12, 0, 0)),
			Interval: &types.IntervalDetails{TimeZone: aws.String("Europe/Paris"), IntervalPeriod: types.IntervalPeriodHour},
			Filters:  []types.FilterV2{{FilterKey: aws.String("QUEUE"), FilterValues: []string{"q-000", "q-001"}}}, Groupings: g, Metrics: metrics, MaxResults: aws.Int32(2)}))
	}
	must(c.GetMetricData(ctx(t), &connect.GetMetricDataInput{InstanceId: in, StartTime: aws.Time(at(9, 0, 0)), EndTime: aws.Time(at(12, 0, 0)),
		Filters: &types.Filters{Queues: []string{"q-000", "q-001"}}, Groupings: []types.Grouping{types.GroupingQueue, types.GroupingChannel, types.GroupingRoutingProfile}[:2],
		HistoricalMetrics: allV1, MaxResults: aws.Int32(1)}))
	must(c.GetMetricData(ctx(t), &connect.GetMetricDataInput{InstanceId: in, StartTime: aws.Time(at(9, 0, 0)), EndTime: aws.Time(at(12, 0, 0)),
		Filters: &types.Filters{Queues: []string{"q-000"}}, Groupings: []types.Grouping{types.GroupingRoutingProfile}, HistoricalMetrics: allV1}))
	// errors
	fails(c.DescribeUser(ctx(t), &connect.DescribeUserInput{InstanceId: in, UserId: aws.String("nobody")}))
	fails(c.GetCurrentMetricData(ctx(t), &connect.GetCurrentMetricDataInput{InstanceId: in, Filters: &types.Filters{}, CurrentMetrics: allCurrent}))
	fails(c.ListQueues(ctx(t), &connect.ListQueuesInput{InstanceId: in, NextToken: aws.String("x")}))
	fails(c.SearchUsers(ctx(t), &connect.SearchUsersInput{InstanceId: in, MaxResults: aws.Int32(501)}))
	fails(c.SearchQueues(ctx(t), &connect.SearchQueuesInput{InstanceId: in, SearchCriteria: &types.QueueSearchCriteria{
		StringCondition: &types.StringCondition{FieldName: aws.String("colour"), Value: aws.String("x"), ComparisonType: types.StringComparisonTypeExact}}}))

	seen := map[string]bool{}
	ops := map[string]bool{}
	for _, cp := range capt.got {
		if cp.op == "" {
			t.Errorf("a response for no model operation")
			continue
		}
		ops[cp.op] = true
		dec := json.NewDecoder(bytes.NewReader(cp.body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Errorf("%s: body is not JSON: %v", cp.op, err)
			continue
		}
		o := m.Operations[cp.op]
		if cp.status == http.StatusOK {
			checkValue(t, m, o.Output.Shape, cp.op, v, seen)
			continue
		}
		code := cp.header.Get("X-Amzn-ErrorType")
		if !slices.ContainsFunc(o.Errors, func(e struct {
			Shape string `json:"shape"`
		}) bool {
			return e.Shape == code
		}) {
			t.Errorf("%s: error %q is not one the model lists", cp.op, code)
			continue
		}
		if es := m.Shapes[code]; es.Error == nil || es.Error.HTTPStatusCode != cp.status {
			t.Errorf("%s: %s with HTTP %d", cp.op, code, cp.status)
		}
		checkValue(t, m, code, cp.op+"!"+code, v, seen)
	}
	for _, op := range Operations {
		if !ops[op] {
			t.Errorf("%s was not exercised", op)
		}
	}
	// the members the readers of this API need most are really produced
	for _, k := range []string{
		"GetCurrentMetricDataResponse.DataSnapshotTime", "GetCurrentMetricDataResponse.NextToken", "CurrentMetricResult.Dimensions",
		"UserData.HierarchyPath", "UserData.Contacts", "UserData.AvailableSlotsByChannel", "UserData.NextStatus",
		"MetricResultV2.MetricInterval", "MetricResultV2.Dimensions", "HistoricalMetricResult.Dimensions",
		"User.IdentityInfo", "User.PhoneConfig", "HierarchyGroup.HierarchyPath", "Queue.Status",
		"RoutingProfileQueueConfigSummary.Priority", "ListAgentStatusResponse.NextToken",
		"SearchUsersResponse.NextToken", "SearchUsersResponse.ApproximateTotalCount", "UserSearchSummary.IdentityInfo",
		"UserSearchSummary.PhoneConfig", "RoutingProfile.MediaConcurrencies", "RoutingProfile.AssociatedQueueIds",
		"HierarchyGroup.LevelId", "AgentStatus.DisplayOrder", "AgentStatus.State", "Queue.HoursOfOperationId",
	} {
		if !seen[k] {
			t.Errorf("no response carried %s", k)
		}
	}
}
