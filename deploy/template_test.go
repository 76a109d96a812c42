package deploy

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"

	"github.com/connect-reporting/connect-reporting/internal/lambda"
)

// The template is plain CloudFormation. goformation resolves intrinsics
// against parameter values; to keep what they point at visible, Ref of a
// resource becomes "ref:Name" and Fn::GetAtt "getatt:Name.Attr". Resources
// whose Condition is false are dropped, as CloudFormation would.

const codePath = "../dist/lambda.zip" // what `make package` uploads

var required = map[string]any{"InstanceId": "0a1b2c3d-1111-2222-3333-444455556666"}

// scenarios: the defaults, and every optional feature switched on.
var scenarios = map[string]map[string]any{
	"defaults": {},
	"everything": {
		"SubnetIds":                           "subnet-0a,subnet-0b",
		"SecurityGroupIds":                    "sg-0a",
		"SqlParameterKmsKeyArn":               "arn:aws:kms:ap-southeast-2:123456789012:key/11111111-2222-3333-4444-555555555555",
		"SqlParameterName":                    "connect-reporting-dsn",
		"AgentEventsStreamArn":                "arn:aws:kinesis:ap-southeast-2:123456789012:stream/AgentEvents",
		"ContactTraceRecordsStreamArn":        "arn:aws:kinesis:ap-southeast-2:123456789012:stream/ContactTraceRecords",
		"StreamMode":                          "PROVISIONED",
		"PauseStreamsOutsideBusinessHours":    "true",
		"AlarmTopicArn":                       "arn:aws:sns:ap-southeast-2:123456789012:ops",
		"Architecture":                        "x86_64",
		"TimeZone":                            "Europe/London",
		"EnableConnectDataStreaming":          "true",
		"StreamKmsKeyArn":                     "arn:aws:kms:ap-southeast-2:123456789012:key/66666666-7777-8888-9999-000000000000",
		"ExistingStreamsRetentionCoversPause": "true",
	},
}

type stack struct {
	t      *testing.T
	tmpl   *cloudformation.Template
	raw    map[string]any // resolved JSON, conditions applied
	params map[string]any // parameter values in force
}

func load(t *testing.T, overrides map[string]any) *stack {
	t.Helper()
	src, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Long form, intrinsics untouched.
	longForm, err := intrinsics.ProcessYAML(src, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(longForm, &doc); err != nil {
		t.Fatal(err)
	}
	resources := doc["Resources"].(map[string]any)
	// Stash resource conditions (goformation would replace the resource by
	// the condition's value) and stand in for packaged code.
	conds := map[string]string{}
	for name, r := range resources {
		rm := r.(map[string]any)
		if c, ok := rm["Condition"].(string); ok {
			conds[name] = c
			delete(rm, "Condition")
		}
		if p, ok := rm["Properties"].(map[string]any); ok {
			if code, ok := p["Code"].(string); ok {
				if code != codePath {
					t.Errorf("%s: Code %q, want %q (what make package builds)", name, code, codePath)
				}
				p["Code"] = map[string]any{"S3Bucket": "packaged", "S3Key": code}
			}
		}
	}
	params := map[string]any{}
	for name, p := range doc["Parameters"].(map[string]any) {
		if d, ok := p.(map[string]any)["Default"]; ok {
			params[name] = d
		}
	}
	all := map[string]any{}
	for k, v := range required {
		all[k] = v
	}
	for k, v := range overrides {
		all[k] = v
	}
	for k, v := range all {
		params[k] = v
	}
	b, _ := json.Marshal(doc)
	ref := func(name string, input any, template any) any {
		if v := intrinsics.Ref(name, input, template); v != nil {
			// A list parameter is a list in CloudFormation.
			if str, ok := v.(string); ok && isListParam(doc, input) {
				out := []any{}
				for _, e := range strings.Split(str, ",") {
					out = append(out, e)
				}
				return out
			}
			return v
		}
		if s, ok := input.(string); ok {
			if _, isRes := resources[s]; isRes {
				return "ref:" + s
			}
		}
		return nil
	}
	getatt := func(name string, input any, template any) any {
		switch x := input.(type) {
		case []any: // [Resource, Attribute]
			if len(x) == 2 {
				return "getatt:" + x[0].(string) + "." + x[1].(string)
			}
		case string: // the short form's "Resource.Attribute"
			return "getatt:" + x
		}
		return nil
	}
	// goformation's Fn::Split returns []string, which its Fn::Select does not take.
	split := func(name string, input any, template any) any {
		out := []any{}
		for _, e := range intrinsics.FnSplit(name, input, template).([]string) {
			out = append(out, e)
		}
		return out
	}
	resolved, err := intrinsics.ProcessJSON(b, &intrinsics.ProcessorOptions{
		ParameterOverrides:        all,
		EvaluateConditions:        true,
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{"Ref": ref, "Fn::GetAtt": getatt, "Fn::Split": split},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(resolved, &out); err != nil {
		t.Fatal(err)
	}
	condVals := out["Conditions"].(map[string]any)
	outRes := out["Resources"].(map[string]any)
	for name, c := range conds {
		v, ok := condVals[c].(bool)
		if !ok {
			t.Fatalf("condition %s of %s did not evaluate: %v", c, name, condVals[c])
		}
		if !v {
			delete(outRes, name)
		}
	}
	out = clean(out).(map[string]any)
	// Ref of a Number parameter is a string in CloudFormation; where a string
	// is wanted (environment variables), make it one.
	for _, r := range outRes {
		p, _ := r.(map[string]any)["Properties"].(map[string]any)
		env, _ := p["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		for k, v := range vars {
			if f, ok := v.(float64); ok {
				vars[k] = strconv.FormatFloat(f, 'f', -1, 64)
			}
		}
	}
	final, _ := json.Marshal(out)
	tmpl, err := goformation.ParseJSONWithOptions(final, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatalf("goformation: %v", err)
	}
	return &stack{t: t, tmpl: tmpl, raw: out, params: params}
}

func isListParam(doc map[string]any, name any) bool {
	n, _ := name.(string)
	p, _ := doc["Parameters"].(map[string]any)[n].(map[string]any)
	typ, _ := p["Type"].(string)
	return typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<")
}

// clean drops the nulls AWS::NoValue leaves behind.
func clean(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
			} else {
				x[k] = clean(e)
			}
		}
	case []any:
		out := x[:0]
		for _, e := range x {
			if e != nil {
				out = append(out, clean(e))
			}
		}
		return out
	}
	return v
}

func forEachScenario(t *testing.T, f func(t *testing.T, s *stack, name string)) {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Run(n, func(t *testing.T) { f(t, load(t, scenarios[n]), n) })
	}
}

func TestFunctions(t *testing.T) {
	forEachScenario(t, func(t *testing.T, s *stack, scenario string) {
		fns := s.tmpl.GetAllLambdaFunctionResources()
		seen := map[string]string{}
		for name, fn := range fns {
			h, err := lambda.NormalizeHandler(deref(fn.Handler))
			if err != nil {
				t.Errorf("%s: handler %q is not accepted: %v", name, deref(fn.Handler), err)
				continue
			}
			if prev, dup := seen[h]; dup {
				t.Errorf("%s and %s both serve %s", prev, name, h)
			}
			seen[h] = name
			if deref(fn.Runtime) != "provided.al2023" {
				t.Errorf("%s: runtime %q", name, deref(fn.Runtime))
			}
			if !slices.Equal(fn.Architectures, []string{s.params["Architecture"].(string)}) {
				t.Errorf("%s: architectures %v", name, fn.Architectures)
			}
			if fn.Timeout == nil || fn.MemorySize == nil {
				t.Errorf("%s: timeout or memory unset", name)
			}
			if h == lambda.OnboardObservations && (fn.Timeout == nil || *fn.Timeout < 60) {
				t.Errorf("%s: timeout %v, want >= 60 s", name, fn.Timeout)
			}
			// The function starts with the environment the template gives it.
			env := map[string]string{"_HANDLER": deref(fn.Handler)}
			if fn.Environment != nil {
				for k, v := range fn.Environment.Variables {
					env[k] = v
				}
			}
			for _, k := range []string{"STORAGE", "SQL_PARAM", "INSTANCE_ID", "DELAY", "TIME_ZONE"} {
				if env[k] == "" {
					t.Errorf("%s: environment lacks %s", name, k)
				}
			}
			if _, err := lambda.LoadConfig(func(k string) string { return env[k] }); err != nil {
				t.Errorf("%s: the function would not start: %v", name, err)
			}
			inVpc := scenario == "everything"
			if (fn.VpcConfig != nil) != inVpc || (inVpc && (len(fn.VpcConfig.SubnetIds) != 2 || len(fn.VpcConfig.SecurityGroupIds) != 1)) {
				t.Errorf("%s: VpcConfig %+v (in VPC: %v)", name, fn.VpcConfig, inVpc)
			}
			if fn.LoggingConfig == nil || !strings.HasPrefix(deref(fn.LoggingConfig.LogGroup), "ref:") {
				t.Errorf("%s: no log group of its own", name)
			}
		}
		if len(seen) != 6 || len(fns) != 6 {
			t.Errorf("functions %v, want one for each of %v", seen, lambda.HandlerNames())
		}
		if min := s.paramMin("ObservationsTimeout"); min < 60 {
			t.Errorf("ObservationsTimeout may go down to %v", min)
		}
		for name, lg := range s.tmpl.GetAllLogsLogGroupResources() {
			if lg.RetentionInDays == nil {
				t.Errorf("%s: no retention", name)
			}
		}
		if n := len(s.tmpl.GetAllLogsLogGroupResources()); n != 6 {
			t.Errorf("%d log groups, want 6", n)
		}
	})
}

func TestEventSourceMappings(t *testing.T) {
	forEachScenario(t, func(t *testing.T, s *stack, scenario string) {
		esms := s.tmpl.GetAllLambdaEventSourceMappingResources()
		if len(esms) != 2 {
			t.Fatalf("%d event-source mappings, want 2", len(esms))
		}
		targets := map[string]bool{}
		for name, m := range esms {
			targets[m.FunctionName] = true
			if m.BatchSize == nil || *m.BatchSize != 500 {
				t.Errorf("%s: batch size %v", name, derefInt(m.BatchSize))
			}
			if !slices.Contains(m.FunctionResponseTypes, "ReportBatchItemFailures") {
				t.Errorf("%s: no ReportBatchItemFailures", name)
			}
			if m.DestinationConfig == nil || m.DestinationConfig.OnFailure == nil ||
				deref(m.DestinationConfig.OnFailure.Destination) != "getatt:DeadLetterQueue.Arn" {
				t.Errorf("%s: failure destination %+v", name, m.DestinationConfig)
			}
			if m.BisectBatchOnFunctionError == nil || !*m.BisectBatchOnFunctionError {
				t.Errorf("%s: BisectBatchOnFunctionError unset", name)
			}
			if deref(m.StartingPosition) != "LATEST" {
				t.Errorf("%s: starting position %q", name, deref(m.StartingPosition))
			}
			if m.MaximumRetryAttempts == nil || *m.MaximumRetryAttempts < 0 || *m.MaximumRetryAttempts > 10000 {
				t.Errorf("%s: retries %v unbounded", name, m.MaximumRetryAttempts)
			}
			if m.MaximumRecordAgeInSeconds == nil || *m.MaximumRecordAgeInSeconds < 60 || *m.MaximumRecordAgeInSeconds > 604800 {
				t.Errorf("%s: record age %v unbounded", name, m.MaximumRecordAgeInSeconds)
			}
			if scenario == "everything" && !strings.HasPrefix(deref(m.EventSourceArn), "arn:aws:kinesis:") {
				t.Errorf("%s: an existing stream's ARN is not used: %q", name, deref(m.EventSourceArn))
			}
		}
		if !targets["ref:ProcessAgentEventsFunction"] || !targets["ref:ProcessCTRFunction"] {
			t.Errorf("mappings feed %v", targets)
		}
		// Parameters cannot unbound them either.
		if s.paramMin("MaximumRetryAttempts") < 0 || s.paramMax("MaximumRetryAttempts") > 10000 ||
			s.paramMin("MaximumRecordAgeInSeconds") < 60 || s.paramMax("MaximumRecordAgeInSeconds") > 604800 {
			t.Error("retry / record age parameters allow unbounded values")
		}
		streams := s.tmpl.GetAllKinesisStreamResources()
		if want := map[string]int{"defaults": 2, "everything": 0}[scenario]; len(streams) != want {
			t.Errorf("%d streams created, want %d", len(streams), want)
		}
		wantStorage := map[string]int{"defaults": 0, "everything": 2}[scenario]
		if got := len(s.tmpl.GetAllConnectInstanceStorageConfigResources()); got != wantStorage {
			t.Errorf("%d Connect storage configs, want %d", got, wantStorage)
		}
		for name, sc := range s.tmpl.GetAllConnectInstanceStorageConfigResources() {
			if sc.StorageType != "KINESIS_STREAM" || sc.KinesisStreamConfig == nil || !strings.HasPrefix(sc.KinesisStreamConfig.StreamArn, "arn:aws:kinesis:") {
				t.Errorf("%s: %+v", name, sc)
			}
		}
		for name, st := range streams {
			if st.AWSCloudFormationDeletionPolicy != "Retain" {
				t.Errorf("%s: a stream must never be deleted with the stack", name)
			}
		}
	})
}

// ec2ENI are the actions Lambda needs for a function in a VPC; AWS does not
// support resource-level scoping for them, so they alone get Resource "*".
var ec2ENI = []string{"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
	"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}

func TestIAMLeastPrivilege(t *testing.T) {
	forEachScenario(t, func(t *testing.T, s *stack, scenario string) {
		allowed := map[string][]string{} // action -> resources, over every Allow statement
		seen := map[uintptr]bool{}       // a managed policy's statements count once
		for roleName := range s.tmpl.GetAllIAMRoleResources() {
			for _, st := range s.roleStatements(roleName) {
				p := reflect.ValueOf(st).Pointer()
				if st["Effect"] != "Allow" || seen[p] {
					continue
				}
				seen[p] = true
				if _, ok := st["NotAction"]; ok {
					t.Errorf("%s: NotAction in an Allow statement", roleName)
				}
				if _, ok := st["NotResource"]; ok {
					t.Errorf("%s: NotResource in an Allow statement", roleName)
				}
				actions, resources := strs(st["Action"]), strs(st["Resource"])
				for _, a := range actions {
					switch strings.ToLower(a) {
					case "*", "connect:*", "kinesis:*", "ssm:*", "lambda:*", "sqs:*", "kms:*", "logs:*", "iam:*", "ec2:*":
						t.Errorf("%s: grants %s", roleName, a)
					}
					if strings.Contains(a, "*") {
						t.Errorf("%s: grants the wildcard action %s", roleName, a)
					}
					allowed[a] = append(allowed[a], resources...)
				}
				if slices.Contains(resources, "*") {
					for _, a := range actions {
						if !slices.Contains(ec2ENI, a) {
							t.Errorf("%s: %s on Resource \"*\"", roleName, a)
						}
					}
				}
				if len(resources) == 0 {
					t.Errorf("%s: statement without Resource", roleName)
				}
			}
		}
		inVpc := scenario == "everything"
		for _, a := range ec2ENI {
			if _, ok := allowed[a]; ok != inVpc {
				t.Errorf("%s granted: %v, in VPC: %v", a, ok, inVpc)
			}
		}
		if r := allowed["ssm:GetParameter"]; len(r) != 1 || !strings.Contains(r[0], ":parameter/"+strings.TrimPrefix(s.params["SqlParameterName"].(string), "/")) {
			t.Errorf("ssm:GetParameter on %v", r)
		}
		// The parameter's key and the streams' key, each once, when given.
		wantKMS := map[string][]string{"defaults": nil, "everything": {scenarios["everything"]["SqlParameterKmsKeyArn"].(string), scenarios["everything"]["StreamKmsKeyArn"].(string)}}[scenario]
		if r := allowed["kms:Decrypt"]; !slices.Equal(r, wantKMS) {
			if sorted := slices.Sorted(slices.Values(r)); !slices.Equal(sorted, slices.Sorted(slices.Values(wantKMS))) {
				t.Errorf("kms:Decrypt on %v, want %v", r, wantKMS)
			}
		}
		for a := range allowed {
			if strings.HasPrefix(a, "kms:") && a != "kms:Decrypt" {
				t.Errorf("%s granted", a)
			}
		}
		for _, a := range []string{"kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:SubscribeToShard", "sqs:SendMessage", "logs:PutLogEvents"} {
			if len(allowed[a]) == 0 {
				t.Errorf("%s not granted", a)
			}
		}
		// The scheduler may invoke exactly the three pollers and Maintain.
		inv := allowed["lambda:InvokeFunction"]
		sort.Strings(inv)
		want := []string{"getatt:MaintainFunction.Arn", "getatt:OnboardMetricsFunction.Arn", "getatt:OnboardObservationsFunction.Arn", "getatt:OnboardUserGroupsFunction.Arn"}
		if !slices.Equal(inv, want) {
			t.Errorf("lambda:InvokeFunction on %v, want %v", inv, want)
		}
		if got := len(allowed["lambda:UpdateEventSourceMapping"]); got != map[string]int{"defaults": 0, "everything": 2}[scenario] {
			t.Errorf("lambda:UpdateEventSourceMapping on %d resources", got)
		}
	})
}

// roleStatements are the statements of a role's inline policies and of
// the managed policies of the stack it has attached.
func (s *stack) roleStatements(roleName string) []map[string]any {
	role, err := s.tmpl.GetIAMRoleWithName(roleName)
	if err != nil {
		s.t.Fatalf("role %s: %v", roleName, err)
	}
	var docs []any
	for _, p := range role.Policies {
		docs = append(docs, p.PolicyDocument)
	}
	for _, arn := range role.ManagedPolicyArns {
		name, ok := strings.CutPrefix(arn, "ref:")
		if !ok {
			s.t.Errorf("%s: managed policy %s from outside the stack", roleName, arn)
			continue
		}
		mp, err := s.tmpl.GetIAMManagedPolicyWithName(name)
		if err != nil {
			s.t.Fatalf("%s: managed policy %s: %v", roleName, name, err)
		}
		docs = append(docs, mp.PolicyDocument)
	}
	var out []map[string]any
	for _, d := range docs {
		stmts, _ := d.(map[string]any)["Statement"].([]any)
		for _, st := range stmts {
			out = append(out, st.(map[string]any))
		}
	}
	return out
}

// TestFunctionConnectActions: each function's role grants exactly the
// Connect actions its code calls, derived from internal/connectapi (see
// connectActions), on the instance only; the stream functions get none.
func TestFunctionConnectActions(t *testing.T) {
	instance := ":instance/" + required["InstanceId"].(string)
	forEachScenario(t, func(t *testing.T, s *stack, scenario string) {
		for name, fn := range s.tmpl.GetAllLambdaFunctionResources() {
			h, _ := lambda.NormalizeHandler(deref(fn.Handler))
			role, ok := strings.CutPrefix(strings.TrimSuffix(fn.Role, ".Arn"), "getatt:")
			if !ok {
				t.Fatalf("%s: role %q is not one of the stack's", name, fn.Role)
			}
			var got []string
			for _, st := range s.roleStatements(role) {
				for _, a := range strs(st["Action"]) {
					if !strings.HasPrefix(a, "connect:") {
						continue
					}
					got = append(got, a)
					for _, r := range strs(st["Resource"]) {
						if !strings.HasPrefix(r, "arn:") || !strings.Contains(r, ":connect:") || (!strings.HasSuffix(r, instance) && !strings.HasSuffix(r, instance+"/*")) {
							t.Errorf("%s: %s on %s, outside the instance", name, a, r)
						}
					}
				}
			}
			sort.Strings(got)
			var want []string
			if _, poller := pollerPackages[h]; poller {
				want = connectActions(t, h)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s (%s): Connect actions\n got %v\nwant %v (what its code calls)", name, role, got, want)
			}
		}
	})
}

// TestRules: the stack refuses the overnight pause on existing streams
// unless ExistingStreamsRetentionCoversPause says their retention covers it.
func TestRules(t *testing.T) {
	existing := map[string]any{"AgentEventsStreamArn": scenarios["everything"]["AgentEventsStreamArn"]}
	for _, tc := range []struct {
		name    string
		params  map[string]any
		refused bool
	}{
		{"defaults", nil, false},
		{"pause on created streams", map[string]any{"PauseStreamsOutsideBusinessHours": "true"}, false},
		{"existing streams without pause", existing, false},
		{"pause on an existing stream", map[string]any{"PauseStreamsOutsideBusinessHours": "true", "ContactTraceRecordsStreamArn": existing["AgentEventsStreamArn"]}, true},
		{"pause on existing streams", map[string]any{"PauseStreamsOutsideBusinessHours": "true", "AgentEventsStreamArn": existing["AgentEventsStreamArn"]}, true},
		{"pause, retention stated", map[string]any{"PauseStreamsOutsideBusinessHours": "true", "AgentEventsStreamArn": existing["AgentEventsStreamArn"], "ExistingStreamsRetentionCoversPause": "true"}, false},
		{"everything", scenarios["everything"], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, tc.params)
			rules, _ := s.raw["Rules"].(map[string]any)
			if len(rules) == 0 {
				t.Fatal("no Rules")
			}
			refused := false
			for name, r := range rules {
				r := r.(map[string]any)
				cond, ok := r["RuleCondition"].(bool)
				if !ok {
					t.Fatalf("%s: RuleCondition did not evaluate: %v", name, r["RuleCondition"])
				}
				for _, a := range r["Assertions"].([]any) {
					a := a.(map[string]any)
					ok, isBool := a["Assert"].(bool)
					if !isBool {
						t.Fatalf("%s: Assert did not evaluate: %v", name, a["Assert"])
					}
					if cond && !ok {
						refused = true
						if !strings.Contains(a["AssertDescription"].(string), "ExistingStreamsRetentionCoversPause") {
							t.Errorf("%s: the refusal does not say what to do: %s", name, a["AssertDescription"])
						}
					}
				}
			}
			if refused != tc.refused {
				t.Errorf("refused %v, want %v", refused, tc.refused)
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	forEachScenario(t, func(t *testing.T, s *stack, scenario string) {
		targets := map[string]string{}
		pauses := 0
		for name, sc := range s.tmpl.GetAllSchedulerScheduleResources() {
			if deref(sc.ScheduleExpressionTimezone) != s.params["TimeZone"] {
				t.Errorf("%s: time zone %q", name, deref(sc.ScheduleExpressionTimezone))
			}
			if sc.FlexibleTimeWindow == nil || sc.Target == nil || sc.Target.RoleArn != "getatt:SchedulerRole.Arn" {
				t.Errorf("%s: incomplete", name)
				continue
			}
			if sc.Target.DeadLetterConfig == nil || sc.Target.RetryPolicy == nil {
				t.Errorf("%s: no dead-letter queue or retry policy", name)
			}
			if sc.Target.Arn == "arn:aws:scheduler:::aws-sdk:lambda:updateEventSourceMapping" {
				pauses++
				var in struct {
					UUID    string
					Enabled *bool
				}
				if err := json.Unmarshal([]byte(deref(sc.Target.Input)), &in); err != nil || in.Enabled == nil {
					t.Errorf("%s: input %q: %v", name, deref(sc.Target.Input), err)
				}
				continue
			}
			targets[sc.Target.Arn] = sc.ScheduleExpression
			var in map[string]string
			if err := json.Unmarshal([]byte(deref(sc.Target.Input)), &in); err != nil {
				t.Errorf("%s: input is not JSON: %v", name, err)
			}
		}
		want := map[string]string{
			"getatt:OnboardObservationsFunction.Arn": "cron(* 7-18 ? * MON-FRI *)",
			"getatt:OnboardMetricsFunction.Arn":      "cron(0/5 7-18 ? * MON-FRI *)",
			"getatt:OnboardUserGroupsFunction.Arn":   "cron(0 * * * ? *)",
			"getatt:MaintainFunction.Arn":            "cron(15 3 * * ? *)",
		}
		for arn, expr := range want {
			if targets[arn] != expr {
				t.Errorf("%s scheduled %q, want %q", arn, targets[arn], expr)
			}
		}
		if len(targets) != 4 {
			t.Errorf("schedules invoke %v", targets)
		}
		if want := map[string]int{"defaults": 0, "everything": 4}[scenario]; pauses != want {
			t.Errorf("%d pause/resume schedules, want %d", pauses, want)
		}
		if scenario == "everything" {
			for name, m := range s.tmpl.GetAllLambdaEventSourceMappingResources() {
				if *m.MaximumRecordAgeInSeconds < 3*24*3600 {
					t.Errorf("%s: records older than %d s would be discarded after a weekend's pause", name, *m.MaximumRecordAgeInSeconds)
				}
			}
		}
	})
}

func TestAlarms(t *testing.T) {
	forEachScenario(t, func(t *testing.T, s *stack, scenario string) {
		count := map[string]int{}
		for name, a := range s.tmpl.GetAllCloudWatchAlarmResources() {
			count[deref(a.MetricName)]++
			if (len(a.AlarmActions) == 1) != (scenario == "everything") {
				t.Errorf("%s: actions %v", name, a.AlarmActions)
			}
		}
		if count["IteratorAge"] != 2 || count["Errors"] != 6 || count["ApproximateNumberOfMessagesVisible"] != 1 {
			t.Errorf("alarms by metric: %v", count)
		}
	})
}

// TestSampleEvents checks the sample events decode as Lambda would hand them over.
func TestSampleEvents(t *testing.T) {
	for name, n := range map[string]int{"kinesis-agent-events.json": 2, "kinesis-ctr.json": 2, "kinesis-ctr-malformed.json": 2} {
		b, err := os.ReadFile("events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.KinesisEvent
		if err := json.Unmarshal(b, &ev); err != nil || len(ev.Records) != n {
			t.Errorf("%s: %d records, %v", name, len(ev.Records), err)
		}
		for _, r := range ev.Records {
			if len(r.Kinesis.Data) == 0 || r.Kinesis.SequenceNumber == "" {
				t.Errorf("%s: record without data or sequence number", name)
			}
		}
	}
	for _, name := range []string{"scheduler.json", "eventbridge-scheduled.json"} {
		b, err := os.ReadFile("events/" + name)
		if err != nil || !json.Valid(b) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func (s *stack) param(name, key string) float64 {
	p, _ := s.raw["Parameters"].(map[string]any)[name].(map[string]any)
	v, ok := p[key].(float64)
	if !ok {
		s.t.Fatalf("parameter %s has no %s", name, key)
	}
	return v
}

func (s *stack) paramMin(name string) float64 { return s.param(name, "MinValue") }
func (s *stack) paramMax(name string) float64 { return s.param(name, "MaxValue") }

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func derefInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
