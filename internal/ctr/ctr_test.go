package ctr

import (
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

func decodeFile(t *testing.T, name string) connectreporting.ContactRecord {
	return goldentest.DecodeFixture(t, name, Decode)
}

func TestGolden(t *testing.T) {
	goldentest.Run(t, *update, Decode, func(v *connectreporting.ContactRecord) *json.RawMessage { return &v.Raw })
}

func utc(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func n(i int64) *int64 { return &i }

const (
	agentID = "9a1b2c3d-0000-4e5f-8a9b-0c1d2e3f4a5b"
	basicQ  = "0f1e2d3c-2222-4b4a-8c9d-1a2b3c4d5e6f"
	outQ    = "7a8b9c0d-3333-4e1f-a2b3-c4d5e6f7a8b9"
	rpID    = "5c6d7e8f-1111-4a2b-9c3d-4e5f6a7b8c9d"
)

// TestColumns asserts the values that become the core columns of
// contact_record, fixture by fixture.
func TestColumns(t *testing.T) {
	type want struct {
		contactID, initialID, previousID, nextID, relatedID string
		channel, method, reason                             string
		initiation, connectedToSystem, disconnect, last     time.Time
		scheduled, transferCompleted                        time.Time
		queueID, queueName                                  string
		enqueue, dequeue                                    time.Time
		queueDuration                                       *int64
		agentID, username, routingProfileID                 string
		connectedToAgent, acwStart, acwEnd                  time.Time
		interaction, hold, longestHold, acw, holds          *int64
		attempts                                            *int64
		customerEndpoint, systemEndpoint, transferredTo     string
		attributes                                          map[string]string
	}
	tests := []struct {
		file string
		want want
	}{
		{"voice_inbound", want{
			contactID: "c1000001-0000-4000-8000-000000000001", initialID: "c1000001-0000-4000-8000-000000000001",
			channel: "VOICE", method: "INBOUND", reason: "CUSTOMER_DISCONNECT",
			initiation: utc("2019-08-13T21:00:00Z"), connectedToSystem: utc("2019-08-13T21:00:00Z"),
			disconnect: utc("2019-08-13T21:05:12Z"), last: utc("2019-08-13T21:06:30Z"),
			queueID: basicQ, queueName: "BasicQueue", enqueue: utc("2019-08-13T21:00:20Z"), dequeue: utc("2019-08-13T21:00:40Z"), queueDuration: n(20),
			agentID: agentID, username: "jdoe", routingProfileID: rpID,
			connectedToAgent: utc("2019-08-13T21:00:40Z"), acwStart: utc("2019-08-13T21:05:12Z"), acwEnd: utc("2019-08-13T21:06:30Z"),
			interaction: n(272), hold: n(31), longestHold: n(20), acw: n(78), holds: n(2), attempts: n(1),
			customerEndpoint: "+447700900123", systemEndpoint: "+442079460000",
			attributes: map[string]string{"greetingPlayed": "true", "language": "en-GB", "customerTier": "gold",
				"score": "7", "vip": "true", "nested": `{"a":[1,2]}`, "empty": "null"},
		}},
		{"voice_float_durations", want{
			contactID: "c100000c-0000-4000-8000-00000000000c", initialID: "c100000c-0000-4000-8000-00000000000c",
			channel: "VOICE", method: "INBOUND", reason: "CUSTOMER_DISCONNECT",
			initiation: utc("2019-08-13T21:00:00.25Z"), connectedToSystem: utc("2019-08-13T21:00:00Z"),
			disconnect: utc("2019-08-13T21:05:12Z"), last: utc("2019-08-13T21:06:30Z"),
			queueID: basicQ, queueName: "BasicQueue", enqueue: utc("2019-08-13T21:00:20Z"), dequeue: utc("2019-08-13T21:00:40Z"), queueDuration: n(21),
			agentID: agentID, username: "jdoe", routingProfileID: rpID,
			connectedToAgent: utc("2019-08-13T21:00:40Z"), acwStart: utc("2019-08-13T21:05:12Z"), acwEnd: utc("2019-08-13T21:06:30Z"),
			interaction: n(272), hold: n(31), longestHold: n(19), acw: n(78), holds: n(2), attempts: n(1),
			customerEndpoint: "+447700900123", systemEndpoint: "+442079460000",
			attributes: map[string]string{"greetingPlayed": "true", "language": "en-GB", "customerTier": "gold",
				"score": "7", "vip": "true", "nested": `{"a":[1,2]}`, "empty": "null"},
		}},
		{"voice_outbound", want{
			contactID: "c1000002-0000-4000-8000-000000000002", channel: "VOICE", method: "OUTBOUND", reason: "AGENT_DISCONNECT",
			initiation: utc("2019-08-13T22:00:00Z"), connectedToSystem: utc("2019-08-13T22:00:09Z"),
			disconnect: utc("2019-08-13T22:03:00Z"), last: utc("2019-08-13T22:04:01Z"),
			queueID: outQ, queueName: "OutboundQueue", queueDuration: n(0),
			agentID: agentID, username: "jdoe", routingProfileID: rpID,
			connectedToAgent: utc("2019-08-13T22:00:00Z"), acwStart: utc("2019-08-13T22:03:00Z"), acwEnd: utc("2019-08-13T22:04:01Z"),
			interaction: n(171), hold: n(0), longestHold: n(0), acw: n(61), holds: n(0), attempts: n(0),
			customerEndpoint: "+14155550100", systemEndpoint: "+14155550199",
		}},
		{"voice_transfer", want{
			contactID: "c1000003-0000-4000-8000-000000000003", initialID: "c1000009-0000-4000-8000-000000000009",
			previousID: "c1000009-0000-4000-8000-000000000009",
			channel:    "VOICE", method: "TRANSFER", reason: "CUSTOMER_DISCONNECT",
			initiation: utc("2019-08-13T21:03:00Z"), connectedToSystem: utc("2019-08-13T21:03:00Z"),
			disconnect: utc("2019-08-13T21:09:00Z"), last: utc("2019-08-13T21:10:00Z"),
			queueID: agentID, queueName: "", enqueue: utc("2019-08-13T21:03:01Z"), dequeue: utc("2019-08-13T21:03:30Z"), queueDuration: n(29),
			agentID: agentID, username: "jdoe", routingProfileID: rpID,
			connectedToAgent: utc("2019-08-13T21:03:30Z"), acwStart: utc("2019-08-13T21:09:00Z"), acwEnd: utc("2019-08-13T21:10:00Z"),
			interaction: n(330), hold: n(0), longestHold: n(0), acw: n(60), holds: n(0), attempts: n(2),
			customerEndpoint: "+447700900124", systemEndpoint: "+442079460000",
			attributes: map[string]string{"transferReason": "billing"},
		}},
		{"voice_transfer_external", want{
			contactID: "c1000009-0000-4000-8000-000000000009", initialID: "c1000009-0000-4000-8000-000000000009",
			nextID:  "c1000003-0000-4000-8000-000000000003",
			channel: "VOICE", method: "INBOUND", reason: "THIRD_PARTY_DISCONNECT",
			initiation: utc("2019-08-13T21:00:00Z"), connectedToSystem: utc("2019-08-13T21:00:00Z"),
			disconnect: utc("2019-08-13T21:03:00Z"), last: utc("2019-08-13T21:03:45Z"),
			transferCompleted: utc("2019-08-13T21:02:58Z"),
			queueID:           basicQ, queueName: "BasicQueue", enqueue: utc("2019-08-13T21:00:10Z"), dequeue: utc("2019-08-13T21:00:30Z"), queueDuration: n(20),
			agentID: agentID, username: "jdoe", routingProfileID: rpID,
			connectedToAgent: utc("2019-08-13T21:00:30Z"),
			interaction:      n(150), hold: n(0), longestHold: n(0), acw: n(0), holds: n(0), attempts: n(1),
			customerEndpoint: "+447700900124", systemEndpoint: "+442079460000", transferredTo: "+442079461111",
		}},
		{"callback", want{
			contactID: "c1000004-0000-4000-8000-000000000004", initialID: "c1000008-0000-4000-8000-000000000008",
			previousID: "c1000008-0000-4000-8000-000000000008",
			channel:    "VOICE", method: "CALLBACK", reason: "CUSTOMER_DISCONNECT",
			initiation: utc("2019-08-13T21:10:00Z"), connectedToSystem: utc("2019-08-13T21:25:12Z"),
			disconnect: utc("2019-08-13T21:30:00Z"), last: utc("2019-08-13T21:31:00Z"),
			queueID: basicQ, queueName: "BasicQueue", enqueue: utc("2019-08-13T21:10:00Z"), dequeue: utc("2019-08-13T21:25:05Z"), queueDuration: n(905),
			agentID: agentID, username: "jdoe", routingProfileID: rpID,
			connectedToAgent: utc("2019-08-13T21:25:05Z"), acwStart: utc("2019-08-13T21:30:00Z"), acwEnd: utc("2019-08-13T21:31:00Z"),
			interaction: n(288), hold: n(0), longestHold: n(0), acw: n(60), holds: n(0), attempts: n(1),
			customerEndpoint: "+447700900125",
		}},
		{"abandoned", want{
			contactID: "c1000005-0000-4000-8000-000000000005", channel: "VOICE", method: "INBOUND", reason: "CUSTOMER_DISCONNECT",
			initiation: utc("2019-08-13T21:20:00Z"), connectedToSystem: utc("2019-08-13T21:20:00Z"),
			disconnect: utc("2019-08-13T21:22:47Z"), last: utc("2019-08-13T21:22:48Z"),
			queueID: basicQ, queueName: "BasicQueue", enqueue: utc("2019-08-13T21:20:15Z"), dequeue: utc("2019-08-13T21:22:47Z"), queueDuration: n(152),
			attempts: n(0), customerEndpoint: "+447700900126", systemEndpoint: "+442079460000",
			attributes: map[string]string{"menuChoice": "2"},
		}},
		{"chat", want{
			contactID: "c1000006-0000-4000-8000-000000000006", initialID: "c1000006-0000-4000-8000-000000000006",
			channel: "CHAT", method: "API", reason: "AGENT_DISCONNECT",
			initiation: utc("2019-08-13T21:40:00Z"), connectedToSystem: utc("2019-08-13T21:40:00Z"),
			disconnect: utc("2019-08-13T21:52:10Z"), last: utc("2019-08-13T21:53:00Z"),
			queueID: basicQ, queueName: "BasicQueue", enqueue: utc("2019-08-13T21:40:05Z"), dequeue: utc("2019-08-13T21:41:02Z"), queueDuration: n(57),
			agentID: agentID, username: "jdoe", routingProfileID: rpID,
			connectedToAgent: utc("2019-08-13T21:41:02Z"), acwStart: utc("2019-08-13T21:52:10Z"), acwEnd: utc("2019-08-13T21:53:00Z"),
			interaction: n(668), hold: n(0), longestHold: n(0), acw: n(50), holds: n(0), attempts: n(1),
			attributes: map[string]string{"customerName": "Ana"},
		}},
		{"task", want{
			contactID: "c1000007-0000-4000-8000-000000000007", initialID: "c1000007-0000-4000-8000-000000000007",
			relatedID: "c1000001-0000-4000-8000-000000000001",
			channel:   "TASK", method: "API", reason: "AGENT_DISCONNECT",
			initiation: utc("2019-08-14T08:00:00Z"), connectedToSystem: utc("2019-08-14T09:00:00Z"),
			disconnect: utc("2019-08-14T09:30:00Z"), last: utc("2019-08-14T09:31:30Z"), scheduled: utc("2019-08-14T09:00:00Z"),
			queueID: basicQ, queueName: "BasicQueue", enqueue: utc("2019-08-14T09:00:01Z"), dequeue: utc("2019-08-14T09:00:20Z"), queueDuration: n(19),
			agentID: agentID, username: "jdoe", routingProfileID: rpID,
			connectedToAgent: utc("2019-08-14T09:00:20Z"), acwStart: utc("2019-08-14T09:30:00Z"), acwEnd: utc("2019-08-14T09:31:30Z"),
			interaction: n(1780), acw: n(90), attempts: n(1),
		}},
		{"task_expired", want{
			contactID: "c100000a-0000-4000-8000-00000000000a", initialID: "c1000007-0000-4000-8000-000000000007",
			previousID: "c1000007-0000-4000-8000-000000000007",
			channel:    "TASK", method: "DISCONNECT", reason: "EXPIRED",
			initiation: utc("2019-08-15T10:00:00Z"), disconnect: utc("2019-08-22T10:00:00Z"), last: utc("2019-08-22T10:00:05Z"),
			queueID: agentID, enqueue: utc("2019-08-15T10:00:01Z"), dequeue: utc("2019-08-22T10:00:00Z"), queueDuration: n(604799),
			attempts: n(0),
		}},
		{"flow_only", want{
			contactID: "c100000b-0000-4000-8000-00000000000b", channel: "VOICE", method: "INBOUND", reason: "CONTACT_FLOW_DISCONNECT",
			initiation: utc("2019-08-13T23:00:00Z"), connectedToSystem: utc("2019-08-13T23:00:00Z"),
			disconnect: utc("2019-08-13T23:01:12Z"), last: utc("2019-08-13T23:01:13Z"),
			attempts: n(0), customerEndpoint: "+447700900127", systemEndpoint: "+442079460000",
			attributes: map[string]string{"closed": "true"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := decodeFile(t, tt.file)
			w := tt.want
			str := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			tm := func(what string, got, want time.Time) {
				t.Helper()
				if !got.Equal(want) || (!got.IsZero() && got.Location() != time.UTC) {
					t.Errorf("%s = %v, want %v (UTC)", what, got, want)
				}
			}
			num := func(what string, got, want *int64) {
				t.Helper()
				switch {
				case got == nil && want == nil:
				case got == nil || want == nil || *got != *want:
					t.Errorf("%s = %s, want %s", what, show(got), show(want))
				}
			}
			str("ContactID", c.ContactID, w.contactID)
			str("InitialContactID", c.InitialContactID, w.initialID)
			str("PreviousContactID", c.PreviousContactID, w.previousID)
			str("NextContactID", c.NextContactID, w.nextID)
			str("RelatedContactID", c.RelatedContactID, w.relatedID)
			str("AWSAccountID", c.AWSAccountID, "012345678901")
			str("Channel", c.Channel, w.channel)
			str("InitiationMethod", c.InitiationMethod, w.method)
			str("DisconnectReason", c.DisconnectReason, w.reason)
			tm("InitiationTimestamp", c.InitiationTimestamp, w.initiation)
			tm("ConnectedToSystemTimestamp", c.ConnectedToSystemTimestamp, w.connectedToSystem)
			tm("DisconnectTimestamp", c.DisconnectTimestamp, w.disconnect)
			tm("LastUpdateTimestamp", c.LastUpdateTimestamp, w.last)
			tm("ScheduledTimestamp", c.ScheduledTimestamp, w.scheduled)
			tm("TransferCompletedTimestamp", c.TransferCompletedTimestamp, w.transferCompleted)
			str("QueueID", c.QueueID, w.queueID)
			str("QueueName", c.QueueName, w.queueName)
			tm("EnqueueTimestamp", c.EnqueueTimestamp, w.enqueue)
			tm("DequeueTimestamp", c.DequeueTimestamp, w.dequeue)
			num("QueueDurationSeconds", c.QueueDurationSeconds, w.queueDuration)
			str("AgentID", c.AgentID, w.agentID)
			str("AgentUsername", c.AgentUsername, w.username)
			str("AgentRoutingProfileID", c.AgentRoutingProfileID, w.routingProfileID)
			tm("ConnectedToAgentTimestamp", c.ConnectedToAgentTimestamp, w.connectedToAgent)
			tm("AfterContactWorkStartTimestamp", c.AfterContactWorkStartTimestamp, w.acwStart)
			tm("AfterContactWorkEndTimestamp", c.AfterContactWorkEndTimestamp, w.acwEnd)
			num("AgentInteractionDurationSeconds", c.AgentInteractionDurationSeconds, w.interaction)
			num("CustomerHoldDurationSeconds", c.CustomerHoldDurationSeconds, w.hold)
			num("LongestHoldDurationSeconds", c.LongestHoldDurationSeconds, w.longestHold)
			num("AfterContactWorkDurationSeconds", c.AfterContactWorkDurationSeconds, w.acw)
			num("NumberOfHolds", c.NumberOfHolds, w.holds)
			num("AgentConnectionAttempts", c.AgentConnectionAttempts, w.attempts)
			str("CustomerEndpoint", c.CustomerEndpoint, w.customerEndpoint)
			str("SystemEndpoint", c.SystemEndpoint, w.systemEndpoint)
			str("TransferredToEndpoint", c.TransferredToEndpoint, w.transferredTo)
			if len(c.Attributes) != len(w.attributes) {
				t.Errorf("Attributes = %v, want %v", c.Attributes, w.attributes)
			}
			for k, v := range w.attributes {
				if got, ok := c.Attributes[k]; !ok || got != v {
					t.Errorf("Attributes[%q] = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func show(p *int64) string {
	if p == nil {
		return "nil"
	}
	b, _ := json.Marshal(*p)
	return string(b)
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, data, field string
		wrongKind         bool
	}{
		{"invalid JSON", `{"ContactId":"c"`, "", false},
		{"not an object", `"c"`, "", false},
		{"null", `null`, "ContactId", false},
		{"no ContactId", `{"Channel":"VOICE","InitiationMethod":"INBOUND"}`, "ContactId", false},
		{"numeric ContactId", `{"ContactId":12}`, "ContactId", false},
		{"bad timestamp", `{"ContactId":"c","InitiationTimestamp":"2019-13-45T00:00:00Z"}`, "InitiationTimestamp", false},
		{"bad queue timestamp", `{"ContactId":"c","Queue":{"EnqueueTimestamp":"x"}}`, "Queue.EnqueueTimestamp", false},
		{"bad duration", `{"ContactId":"c","Agent":{"AgentInteractionDuration":"ten"}}`, "Agent.AgentInteractionDuration", false},
		{"duration is an object", `{"ContactId":"c","Agent":{"CustomerHoldDuration":{}}}`, "Agent.CustomerHoldDuration", false},
		{"huge duration", `{"ContactId":"c","Queue":{"Duration":1e300}}`, "Queue.Duration", false},
		{"agent is an array", `{"ContactId":"c","Agent":[]}`, "Agent", false},
		{"attributes is an array", `{"ContactId":"c","Attributes":["a"]}`, "Attributes", false},
		{"agent event", `{"EventId":"e","EventType":"LOGIN","EventTimestamp":"2019-08-13T20:58:44Z"}`, "", true},
		// The value rules (issue 11): what no dialect can store is refused, never NULL.
		{"blank ContactId", `{"ContactId":"  ","Channel":"VOICE"}`, "ContactId", false},
		{"year 0001 timestamp", `{"ContactId":"c","DisconnectTimestamp":"0001-01-01T00:00:00Z"}`, "DisconnectTimestamp", false},
		{"year 0001 queue timestamp", `{"ContactId":"c","Queue":{"EnqueueTimestamp":"0001-01-01T00:00:00+00:00"}}`, "Queue.EnqueueTimestamp", false},
		{"timestamp before 1970", `{"ContactId":"c","LastUpdateTimestamp":"1900-01-01T00:00:00Z"}`, "LastUpdateTimestamp", false},
		{"timestamp after 9999", `{"ContactId":"c","Agent":{"ConnectedToAgentTimestamp":"9999-12-31T23:59:59-01:00"}}`, "Agent.ConnectedToAgentTimestamp", false},
		{"ContactId over 128", `{"ContactId":"` + strings.Repeat("c", 129) + `"}`, "ContactId", false},
		{"queue id over 128", `{"ContactId":"c","Queue":{"ARN":"arn:x/queue/` + strings.Repeat("q", 129) + `"}}`, "Queue.ARN (queue id)", false},
		{"channel over 32", `{"ContactId":"c","Channel":"` + strings.Repeat("V", 33) + `"}`, "Channel", false},
		{"queue name over 450", `{"ContactId":"c","Queue":{"Name":"` + strings.Repeat("n", 451) + `"}}`, "Queue.Name", false},
		{"lone surrogate is kept as U+FFFD, but a huge number is refused", `{"ContactId":"c","Attributes":{"a":"\udc00"},"X":[1e-20000]}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.data))
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("%v", err)
			var de *connectreporting.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, connectreporting.ErrMalformed) {
				t.Fatalf("error %v (%T) is not a DecodeError wrapping ErrMalformed", err, err)
			}
			if de.Field != tt.field {
				t.Errorf("Field = %q, want %q", de.Field, tt.field)
			}
			if errors.Is(err, connectreporting.ErrWrongKind) != tt.wrongKind {
				t.Errorf("errors.Is(ErrWrongKind) = %v, want %v", !tt.wrongKind, tt.wrongKind)
			}
		})
	}
}

func TestLenient(t *testing.T) {
	c, err := Decode([]byte(` {"ContactId":"c","Channel":"tasks","Queue":{"ARN":"arn:x/queue/q1","Name":null,"Duration":"12"},
		"Agent":{"ARN":"arn:x/agent/a1","AgentInteractionDuration":12.5,"NumberOfHolds":null},"Attributes":null,
		"CustomerEndpoint":{"Address":null,"Type":"TELEPHONE_NUMBER"},"LastUpdateTimestamp":"2019-08-13T22:58:44+02:00"} `))
	if err != nil {
		t.Fatal(err)
	}
	if c.Channel != "TASK" || c.QueueID != "q1" || c.QueueName != "" || c.AgentID != "a1" {
		t.Errorf("got %+v", c)
	}
	if c.QueueDurationSeconds == nil || *c.QueueDurationSeconds != 12 || c.AgentInteractionDurationSeconds == nil || *c.AgentInteractionDurationSeconds != 13 {
		t.Errorf("durations %s %s", show(c.QueueDurationSeconds), show(c.AgentInteractionDurationSeconds))
	}
	if c.NumberOfHolds != nil || c.Attributes != nil || c.CustomerEndpoint != "" || c.CustomerEndpointType != "TELEPHONE_NUMBER" {
		t.Errorf("nulls: %+v", c)
	}
	if !c.LastUpdateTimestamp.Equal(utc("2019-08-13T20:58:44Z")) || c.LastUpdateTimestamp.Location() != time.UTC {
		t.Errorf("LastUpdateTimestamp = %v", c.LastUpdateTimestamp)
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
	f.Add([]byte(`{"ContactId":"c","Queue":{"Duration":1.5e3},"Attributes":{"a":1,"b":"x","c":null}}`))
	f.Add([]byte(`{"EventId":"e","EventType":"LOGIN"}`))
	f.Add([]byte(`{"ContactId":"c","InitiationTimestamp":"2019-08-13T20:58:44:031Z"}`))
	f.Add([]byte(`{"ContactId":"c","DisconnectTimestamp":"0001-01-01T00:00:00Z","Channel":"` + strings.Repeat("V", 33) + `"}`))
	f.Add([]byte(`{"ContactId":"c","Attributes":{"\ud800":"\u0000","n":1e131072}}`))
	// encoding/json's reading of names and values (FuzzDecodeMatchesEncodingJSON).
	f.Add([]byte(`{"contactid":"c","CHANNEL":"voice","ContactId":null,"channel":"chat","Queue":{"Name":"q"},"queue":{"ARN":"a/q"},"Agent":null,"Attributes":{"a":"1","a":[1, 2],"b":{"c":null}}}`))
	f.Add([]byte(`{"ContactId":"c","Agent":{"NumberOfHolds":" 3 ","AgentInteractionDuration":1.5,"RoutingProfile":null},"AgentConnectionAttempts":null,"EventId":null,"EventType":"x"}`))
	f.Add([]byte(`{"C\u006fntactId":"\u00e9\ud83d\ude00","Queue":{"Duration":"12"},"\u212Aey":1,"Attributes":{"\u0000":"\ud800"}}`))
	f.Add([]byte("{\"ContactId\":\"c\xff\",\"Attributes\":{\"k\xfe\":\"v\xff\"},\"Recording\":[1,{\"a\":[]}],\"Queue\":{\"Name\":\"\xc3\"}}"))
}

func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode(data)
		if err != nil {
			var de *connectreporting.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, connectreporting.ErrMalformed) {
				t.Fatalf("error %v (%T) is not a DecodeError wrapping ErrMalformed", err, err)
			}
			return
		}
		if c.ContactID == "" {
			t.Fatalf("decoded without ContactId: %+v", c)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("decoded a record the value rules refuse: %v", err)
		}
		if !json.Valid(c.Raw) {
			t.Fatalf("Raw is not valid JSON: %q", c.Raw)
		}
		for _, tm := range []time.Time{c.InitiationTimestamp, c.LastUpdateTimestamp, c.DisconnectTimestamp, c.EnqueueTimestamp, c.ConnectedToAgentTimestamp} {
			if !tm.IsZero() && tm.Location() != time.UTC {
				t.Fatalf("timestamp %v not in UTC", tm)
			}
		}
	})
}

// TestValueRuleEdges: the values at the edges of the rules are stored, and
// blank optional timestamps are absent (NULL), not refused.
func TestValueRuleEdges(t *testing.T) {
	id := strings.Repeat("c", connectreporting.MaxIDLen)
	name := strings.Repeat("😀", 1000) // attribute names have no limit
	c, err := Decode([]byte(`{"ContactId":"` + id + `","Channel":"` + strings.Repeat("V", 32) + `",
		"InitiationTimestamp":"1970-01-01T00:00:00Z","DisconnectTimestamp":"9999-12-31T23:59:59.999Z",
		"LastUpdateTimestamp":"   ","ScheduledTimestamp":null,"Attributes":{"` + name + `":"v"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.ContactID != id || !c.InitiationTimestamp.Equal(connectreporting.MinTime) || c.DisconnectTimestamp.Year() != 9999 {
		t.Errorf("edges: %+v", c)
	}
	if !c.LastUpdateTimestamp.IsZero() || !c.ScheduledTimestamp.IsZero() || c.Attributes[name] != "v" {
		t.Errorf("blank timestamps or attribute: %+v", c)
	}
}

// FuzzDecodeMatchesEncodingJSON: Decode, which reads records with
// wire.Reader, decodes every input as the same decoder reading them with
// encoding/json (wire.Unmarshal, the decoder before) does: the same
// ContactRecord, or both an error.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	addSeeds(f)
	withEncodingJSON := func(data []byte) (connectreporting.ContactRecord, error) {
		return decode(data, func(doc wire.Doc, w *record) error { return wire.Unmarshal(doc.Data, w) })
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		goldentest.Same(t, data, Decode, withEncodingJSON)
	})
}
