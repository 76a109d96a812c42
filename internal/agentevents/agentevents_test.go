package agentevents

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/goldentest"
	"github.com/connect-reporting/connect-reporting/internal/ingest/wire"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the decoder's output")

func decodeFile(t *testing.T, name string) connectreporting.AgentEvent {
	return goldentest.DecodeFixture(t, name, Decode)
}

// TestGolden decodes every fixture and compares the result, Raw left out,
// with testdata/NAME.golden (go test -run Golden -update rewrites them).
func TestGolden(t *testing.T) {
	goldentest.Run(t, *update, Decode, func(v *connectreporting.AgentEvent) *json.RawMessage { return &v.Raw })
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

const agentID = "9a1b2c3d-0000-4e5f-8a9b-0c1d2e3f4a5b"

// TestColumns asserts the values that become columns of agent_event and
// agent_state, fixture by fixture.
func TestColumns(t *testing.T) {
	tests := []struct {
		file                 string
		eventType            string
		eventTS              time.Time
		statusName           string
		statusType           string
		statusStart          time.Time
		previousStatus       string
		username             string
		routingProfileID     string
		contactCount         int
		hierarchyLevel1ID    string
		hierarchyLevel3Name  string
		firstContactChannel  string
		firstContactQueueID  string
		firstContactQueueTS  time.Time
		firstContactStateTS  time.Time
		firstContactQueueNam string
	}{
		{file: "heart_beat", eventType: "HEART_BEAT", eventTS: utc("2019-08-13T20:58:44.031Z"),
			statusName: "Available", statusType: "ROUTABLE", statusStart: utc("2019-08-13T20:52:30.704Z"),
			previousStatus: "Offline", username: "jdoe", routingProfileID: "5c6d7e8f-1111-4a2b-9c3d-4e5f6a7b8c9d"},
		{file: "login", eventType: "LOGIN", eventTS: utc("2019-08-13T20:52:30.704Z"),
			statusName: "Offline", statusType: "OFFLINE", statusStart: utc("2019-08-13T20:52:30.704Z"),
			username: "jdoe", routingProfileID: "5c6d7e8f-1111-4a2b-9c3d-4e5f6a7b8c9d",
			hierarchyLevel1ID: "aaaa1111-0000-4000-8000-000000000001", hierarchyLevel3Name: "Team Red"},
		{file: "logout", eventType: "LOGOUT", eventTS: utc("2019-08-13T21:30:02.117Z"),
			statusName: "Offline", statusType: "OFFLINE", statusStart: utc("2019-08-13T21:30:01.998Z"),
			username: "jdoe", routingProfileID: "5c6d7e8f-1111-4a2b-9c3d-4e5f6a7b8c9d",
			hierarchyLevel1ID: "aaaa1111-0000-4000-8000-000000000001", hierarchyLevel3Name: "Team Red"},
		{file: "logout_null_snapshots", eventType: "LOGOUT", eventTS: utc("2019-08-13T21:30:02Z")},
		{file: "heart_beat_null_snapshot", eventType: "HEART_BEAT", eventTS: utc("2019-08-13T21:32:02.5Z")},
		{file: "heart_beat_no_status", eventType: "HEART_BEAT", eventTS: utc("2019-08-13T21:40:00Z"),
			username: "jdoe", routingProfileID: "5c6d7e8f-1111-4a2b-9c3d-4e5f6a7b8c9d"},
		{file: "state_change_status", eventType: "STATE_CHANGE", eventTS: utc("2019-08-13T21:00:00Z"),
			statusName: "Break", statusType: "CUSTOM", statusStart: utc("2019-08-13T21:00:00Z"),
			previousStatus: "Available", username: "jdoe", routingProfileID: "5c6d7e8f-1111-4a2b-9c3d-4e5f6a7b8c9d",
			hierarchyLevel1ID: "aaaa1111-0000-4000-8000-000000000001", hierarchyLevel3Name: "Team Red"},
		{file: "state_change_contacts", eventType: "STATE_CHANGE", eventTS: utc("2019-08-13T21:06:32.004Z"),
			statusName: "Available", statusType: "ROUTABLE", statusStart: utc("2019-08-13T20:52:30.704Z"),
			previousStatus: "Available", username: "jdoe", routingProfileID: "5c6d7e8f-1111-4a2b-9c3d-4e5f6a7b8c9d",
			contactCount: 9, hierarchyLevel1ID: "aaaa1111-0000-4000-8000-000000000001", hierarchyLevel3Name: "Team Red",
			firstContactChannel: "VOICE", firstContactQueueID: "0f1e2d3c-2222-4b4a-8c9d-1a2b3c4d5e6f",
			firstContactQueueTS: utc("2019-08-13T21:04:40.125Z"), firstContactStateTS: utc("2019-08-13T21:05:10.25Z"),
			firstContactQueueNam: "BasicQueue"},
		{file: "state_change_offset", eventType: "STATE_CHANGE", eventTS: utc("2019-08-13T21:10:00.5Z"),
			statusName: "Training", statusType: "CUSTOM", statusStart: utc("2019-08-13T21:10:00Z"),
			previousStatus: "Available", username: "jdoe", routingProfileID: "5c6d7e8f-1111-4a2b-9c3d-4e5f6a7b8c9d",
			contactCount: 1, firstContactChannel: "TASK", firstContactQueueID: "0f1e2d3c-2222-4b4a-8c9d-1a2b3c4d5e6f",
			firstContactQueueTS: utc("2019-08-13T21:08:00Z"), firstContactStateTS: utc("2019-08-13T21:09:00Z")},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev := decodeFile(t, tt.file)
			check := func(what string, got, want any) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			checkTime := func(what string, got, want time.Time) {
				t.Helper()
				if !got.Equal(want) || (!got.IsZero() && got.Location() != time.UTC) {
					t.Errorf("%s = %v, want %v (UTC)", what, got, want)
				}
			}
			check("EventType", ev.EventType, tt.eventType)
			checkTime("EventTimestamp", ev.EventTimestamp, tt.eventTS)
			check("AgentID", ev.AgentID, agentID)
			check("AWSAccountID", ev.AWSAccountID, "012345678901")
			check("Version", ev.Version, "2019-05-25")
			check("StatusName", ev.StatusName, tt.statusName)
			check("StatusType", ev.StatusType, tt.statusType)
			checkTime("StatusStartTimestamp", ev.StatusStartTimestamp, tt.statusStart)
			check("PreviousStatusName", ev.PreviousStatusName, tt.previousStatus)
			check("Username", ev.Username, tt.username)
			check("RoutingProfileID", ev.RoutingProfileID, tt.routingProfileID)
			check("ContactCount", ev.ContactCount, tt.contactCount)
			check("len(Contacts)", len(ev.Contacts), tt.contactCount)
			check("HierarchyGroups[0].ID", ev.HierarchyGroups[0].ID, tt.hierarchyLevel1ID)
			check("HierarchyGroups[2].Name", ev.HierarchyGroups[2].Name, tt.hierarchyLevel3Name)
			check("HierarchyGroups[3].ID", ev.HierarchyGroups[3].ID, "")
			if tt.contactCount > 0 {
				c := ev.Contacts[0]
				check("Contacts[0].Channel", c.Channel, tt.firstContactChannel)
				check("Contacts[0].QueueID", c.QueueID, tt.firstContactQueueID)
				check("Contacts[0].QueueName", c.QueueName, tt.firstContactQueueNam)
				checkTime("Contacts[0].QueueTimestamp", c.QueueTimestamp, tt.firstContactQueueTS)
				checkTime("Contacts[0].StateStartTimestamp", c.StateStartTimestamp, tt.firstContactStateTS)
			}
		})
	}
}

func TestContactStates(t *testing.T) {
	ev := decodeFile(t, "state_change_contacts")
	want := []struct{ id, channel, method, state, queueID, queueName string }{
		{"c0000001-0000-4000-8000-000000000001", "VOICE", "INBOUND", "CONNECTED", "0f1e2d3c-2222-4b4a-8c9d-1a2b3c4d5e6f", "BasicQueue"},
		{"c0000002-0000-4000-8000-000000000002", "CHAT", "API", "CONNECTED_ONHOLD", "0f1e2d3c-2222-4b4a-8c9d-1a2b3c4d5e6f", "BasicQueue"},
		{"c0000003-0000-4000-8000-000000000003", "CHAT", "TRANSFER", "INCOMING", agentID, ""},
		{"c0000004-0000-4000-8000-000000000004", "TASK", "API", "PENDING", "0f1e2d3c-2222-4b4a-8c9d-1a2b3c4d5e6f", "BasicQueue"},
		{"c0000005-0000-4000-8000-000000000005", "TASK", "CALLBACK", "CONNECTING", "", ""},
		{"c0000006-0000-4000-8000-000000000006", "VOICE", "QUEUE_TRANSFER", "MISSED", "0f1e2d3c-2222-4b4a-8c9d-1a2b3c4d5e6f", "BasicQueue"},
		{"c0000007-0000-4000-8000-000000000007", "CHAT", "API", "REJECTED", "0f1e2d3c-2222-4b4a-8c9d-1a2b3c4d5e6f", "BasicQueue"},
		{"c0000008-0000-4000-8000-000000000008", "VOICE", "OUTBOUND", "ENDED", "7a8b9c0d-3333-4e1f-a2b3-c4d5e6f7a8b9", "OutboundQueue"},
		{"c000000a-0000-4000-8000-00000000000a", "VOICE", "INBOUND", "ERROR", "0f1e2d3c-2222-4b4a-8c9d-1a2b3c4d5e6f", "BasicQueue"},
	}
	if len(ev.Contacts) != len(want) {
		t.Fatalf("got %d contacts, want %d", len(ev.Contacts), len(want))
	}
	for i, w := range want {
		c := ev.Contacts[i]
		if c.ContactID != w.id || c.Channel != w.channel || c.InitiationMethod != w.method || c.State != w.state || c.QueueID != w.queueID || c.QueueName != w.queueName {
			t.Errorf("contact %d = %+v, want %+v", i, c, w)
		}
	}
	if got := ev.Contacts[2].InitialContactID; got != "c0000009-0000-4000-8000-000000000009" {
		t.Errorf("InitialContactID = %q", got)
	}
	if !ev.Contacts[2].ConnectedToAgentTimestamp.IsZero() {
		t.Errorf("null ConnectedToAgentTimestamp decoded as %v", ev.Contacts[2].ConnectedToAgentTimestamp)
	}
}

func TestTimestampFormats(t *testing.T) {
	want := utc("2019-08-13T20:58:44.031Z")
	for _, ts := range []string{
		"2019-08-13T20:58:44.031Z",
		"2019-08-13T20:58:44.031000Z",
		"2019-08-13T22:58:44.031+02:00",
		"2019-08-13T15:58:44.031-05:00",
		"2019-08-13T22:58:44.031+0200",
		"2019-08-13T20:58:44:031Z", // as the data model page writes it
		"2019-08-13 20:58:44.031Z",
		"2019-08-13T20:58:44.031",
	} {
		ev, err := Decode([]byte(`{"EventId":"e","EventType":"HEART_BEAT","EventTimestamp":"` + ts + `"}`))
		if err != nil {
			t.Errorf("%s: %v", ts, err)
			continue
		}
		if !ev.EventTimestamp.Equal(want) || ev.EventTimestamp.Location() != time.UTC {
			t.Errorf("%s decoded as %v, want %v", ts, ev.EventTimestamp, want)
		}
	}
	ev, err := Decode([]byte(`{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z"}`))
	if err != nil || !ev.EventTimestamp.Equal(utc("2019-08-13T20:58:44Z")) {
		t.Errorf("without milliseconds: %v, %v", ev.EventTimestamp, err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, data, field string
		wrongKind         bool
	}{
		{"invalid JSON", `{"EventId":`, "", false},
		{"not an object", `["EventId"]`, "", false},
		{"null", `null`, "EventId", false},
		{"empty object", `{}`, "EventId", false},
		{"no EventType", `{"EventId":"e","EventTimestamp":"2019-08-13T20:58:44Z"}`, "EventType", false},
		{"no EventTimestamp", `{"EventId":"e","EventType":"LOGIN"}`, "EventTimestamp", false},
		{"null EventTimestamp", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":null}`, "EventTimestamp", false},
		{"bad EventTimestamp", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"yesterday"}`, "EventTimestamp", false},
		{"numeric EventId", `{"EventId":7,"EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z"}`, "EventId", false},
		{"snapshot is a string", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","CurrentAgentSnapshot":"x"}`, "CurrentAgentSnapshot", false},
		{"contacts not an array", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","CurrentAgentSnapshot":{"Contacts":{}}}`, "CurrentAgentSnapshot.Contacts", false},
		{"bad status start", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","CurrentAgentSnapshot":{"AgentStatus":{"StartTimestamp":"13/08/2019"}}}`, "CurrentAgentSnapshot.AgentStatus.StartTimestamp", false},
		{"bad contact timestamp", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","CurrentAgentSnapshot":{"Contacts":[null,{"QueueTimestamp":"soon"}]}}`, "CurrentAgentSnapshot.Contacts[1].QueueTimestamp", false},
		{"trailing garbage", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z"} x`, "", false},
		{"contact record", `{"ContactId":"c","AWSContactTraceRecordFormatVersion":"2017-03-10","Channel":"VOICE"}`, "", true},
		// The value rules (issue 11): what no dialect can store is refused, never NULL.
		{"zero EventTimestamp", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"0001-01-01T00:00:00Z"}`, "EventTimestamp", false},
		{"zero EventTimestamp with offset", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"0001-01-01T00:00:00+00:00"}`, "EventTimestamp", false},
		{"offset only EventTimestamp", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"+00:00"}`, "EventTimestamp", false},
		{"blank EventTimestamp", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"   "}`, "EventTimestamp", false},
		{"EventTimestamp before 1970", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"1969-12-31T23:59:59.999Z"}`, "EventTimestamp", false},
		{"EventTimestamp in year 10000", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"9999-12-31T23:00:00-05:00"}`, "EventTimestamp", false},
		{"EventTimestamp year 0", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"0000-06-01T00:00:00Z"}`, "EventTimestamp", false},
		{"blank EventId", `{"EventId":" \t ","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z"}`, "EventId", false},
		{"blank EventType", `{"EventId":"e","EventType":"  ","EventTimestamp":"2019-08-13T20:58:44Z"}`, "EventType", false},
		{"EventId over 128", `{"EventId":"` + strings.Repeat("e", 129) + `","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z"}`, "EventId", false},
		{"EventId over 128 UTF-16 units", `{"EventId":"` + strings.Repeat("😀", 65) + `","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z"}`, "EventId", false},
		{"agent id over 128", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","AgentARN":"arn:x/agent/` + strings.Repeat("a", 129) + `"}`, "AgentARN (agent id)", false},
		{"status name over 450", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","CurrentAgentSnapshot":{"AgentStatus":{"Name":"` + strings.Repeat("n", 451) + `"}}}`, "CurrentAgentSnapshot.AgentStatus.Name", false},
		{"zero status start", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","CurrentAgentSnapshot":{"AgentStatus":{"StartTimestamp":"0001-01-01T00:00:00Z"}}}`, "CurrentAgentSnapshot.AgentStatus.StartTimestamp", false},
		{"number jsonb cannot hold", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","X":1e999999}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.data))
			if err == nil {
				t.Fatal("no error")
			}
			var de *connectreporting.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, connectreporting.ErrMalformed) {
				t.Fatalf("error %v (%T) is not a DecodeError wrapping ErrMalformed", err, err)
			}
			t.Logf("%v", err)
			if de.Field != tt.field {
				t.Errorf("Field = %q, want %q (%v)", de.Field, tt.field, err)
			}
			if errors.Is(err, connectreporting.ErrWrongKind) != tt.wrongKind {
				t.Errorf("errors.Is(ErrWrongKind) = %v, want %v", !tt.wrongKind, tt.wrongKind)
			}
		})
	}
}

func TestRawSurroundingWhitespaceAndUTF8(t *testing.T) {
	data := []byte("\n  {\"EventId\" : \"e\", \"EventType\":\"LOGIN\",\n \"EventTimestamp\":\"2019-08-13T20:58:44Z\", \"x\":\"\xff\"}  \r\n")
	ev, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(ev.Raw) || bytes.ContainsAny(ev.Raw, "\n\r") {
		t.Errorf("Raw = %q", ev.Raw)
	}
	if !strings.Contains(string(ev.Raw), "\uFFFD") {
		t.Errorf("invalid UTF-8 not replaced: %q", ev.Raw)
	}
}

// addSeeds adds the fuzz tests' seeds: the fixtures and records at the
// edges.
func addSeeds(f *testing.F) {
	for _, file := range goldentest.Fixtures(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44:031Z"}`))
	f.Add([]byte(`{"EventId":"e","EventType":"X","EventTimestamp":"2019-08-13T20:58:44Z","CurrentAgentSnapshot":{"Contacts":[{"Channel":"tasks","Queue":{"ARN":"a/b","Name":null}}]}}`))
	f.Add([]byte(`{"ContactId":"c"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"EventId":"e","EventType":"LOGIN","EventTimestamp":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"EventId":" ","EventType":"LOGIN","EventTimestamp":"9999-12-31T23:59:59Z","x":"\ud800","y":1e-99999}`))
	// encoding/json's reading of names and values (FuzzDecodeMatchesEncodingJSON).
	f.Add([]byte(`{"eventid":"e","EVENTTYPE":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","EventId":null,"eventType":"X"}`))
	f.Add([]byte(`{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","CurrentAgentSnapshot":{"AgentStatus":{"Name":"a"}},"CurrentAgentSnapshot":{"AgentStatus":{"Type":"t"},"Contacts":[{"State":"s"},null]},"currentagentsnapshot":{"Contacts":[{"Channel":"voice"}]}}`))
	f.Add([]byte(`{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","CurrentAgentSnapshot":{"Contacts":[]},"PreviousAgentSnapshot":null,"ContactId":null}`))
	f.Add([]byte(`{"E\u0076entId":"\u00e9\ud83d\ude00","EventType":"\"","EventTimestamp":"2019-08-13T20:58:44Z","AgentARN":"a/\xff\xfe","\u212Aey":1}`))
	f.Add([]byte(`{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z","CurrentAgentSnapshot":{"Contactſ":[{"State":"s"}],"AgentStatus":{"NAME":"n","\u017ftarttimeſtamp":"x"}}}`))
	f.Add([]byte("{\"EventId\":\"e\xff\",\"EventType\":\"LOGIN\",\"EventTimestamp\":\"2019-08-13T20:58:44Z\",\"Version\":[1,{\"a\":[]}]}"))
}

func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Decode(data)
		if err != nil {
			var de *connectreporting.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, connectreporting.ErrMalformed) {
				t.Fatalf("error %v (%T) is not a DecodeError wrapping ErrMalformed", err, err)
			}
			return
		}
		if ev.EventID == "" || ev.EventType == "" || ev.EventTimestamp.IsZero() {
			t.Fatalf("decoded without id, type or time: %+v", ev)
		}
		if !json.Valid(ev.Raw) {
			t.Fatalf("Raw is not valid JSON: %q", ev.Raw)
		}
		if loc := ev.EventTimestamp.Location(); loc != time.UTC {
			t.Fatalf("EventTimestamp in %v", loc)
		}
		if ev.ContactCount != len(ev.Contacts) {
			t.Fatalf("ContactCount %d, %d contacts", ev.ContactCount, len(ev.Contacts))
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("decoded an event the value rules refuse: %v", err)
		}
	})
}

// TestValueRuleEdges: the values at the edges of the rules are stored.
func TestValueRuleEdges(t *testing.T) {
	id := strings.Repeat("e", connectreporting.MaxIDLen)
	for _, ts := range []string{"1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "1970-01-01T01:00:00+01:00"} {
		ev, err := Decode([]byte(`{"EventId":"` + id + `","EventType":"LOGIN","EventTimestamp":"` + ts + `","CurrentAgentSnapshot":{"AgentStatus":{"StartTimestamp":"  "}}}`))
		if err != nil {
			t.Errorf("%s: %v", ts, err)
			continue
		}
		if ev.EventID != id || !connectreporting.TimeInRange(ev.EventTimestamp) || !ev.StatusStartTimestamp.IsZero() {
			t.Errorf("%s: %+v", ts, ev)
		}
	}
}

// FuzzDecodeMatchesEncodingJSON: Decode, which reads records with
// wire.Reader, decodes every input as the same decoder reading them with
// encoding/json (wire.Unmarshal, the decoder before) does: the same
// AgentEvent, or both an error.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	addSeeds(f)
	withEncodingJSON := func(data []byte) (connectreporting.AgentEvent, error) {
		return decode(data, func(doc wire.Doc, w *event) error { return wire.Unmarshal(doc.Data, w) })
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		goldentest.Same(t, data, Decode, withEncodingJSON)
	})
}
