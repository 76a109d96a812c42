package sqlstore

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// decodeAgentRaw is what the view agent_event_document does (migration
// 00012 on PostgreSQL), in Go: the document back from an encoded raw.
func decodeAgentRaw(e encodedRaw, cols rawColumns) []byte {
	if !e.encoded() {
		return e.raw
	}
	doc := bytes.ReplaceAll(e.raw, []byte{markInstanceARN}, []byte(instanceARN(cols.agentARN)))
	for p, rp := range rawParts {
		doc = bytes.ReplaceAll(doc, []byte{rp.mark}, e.texts[p][0])
		doc = bytes.ReplaceAll(doc, []byte{rp.mark + 1}, e.texts[p][1])
	}
	for _, m := range rawMembers {
		doc = bytes.ReplaceAll(doc, []byte{m.mark}, []byte(m.value(cols)))
	}
	return doc
}

const (
	testARN   = "arn:aws:connect:us-east-1:123456789012:instance/i-1/agent/a-1"
	testCfg   = `{"RoutingProfile":{"ARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1/routing-profile/rp","Name":"Basic"},"Username":"ann"}`
	testCfg2  = `{"RoutingProfile":{"ARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1/routing-profile/rp2","Name":"Sales"},"Username":"ann"}`
	testState = `{"ARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1/agent-state/s","Name":"Available","Type":"ROUTABLE"}`
)

func testEvent(cur, prev string) string {
	doc := `{"AWSAccountId":"123456789012","AgentARN":"` + testARN + `","CurrentAgentSnapshot":{"AgentStatus":` + testState + `,"Configuration":` + cur + `,"Contacts":[]},"EventId":"e-1"`
	if prev != "" {
		doc += `,"PreviousAgentSnapshot":{"AgentStatus":` + testState + `,"Configuration":` + prev + `}`
	}
	return doc + `,"EventTimestamp":"2024-03-04T07:17:17.078Z","EventType":"STATE_CHANGE","InstanceARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1"}`
}

// TestEncodeAgentRaw: what is cut out of raw, and that the document comes
// back byte for byte, for documents of the expected shape and of others.
func TestEncodeAgentRaw(t *testing.T) {
	for _, tc := range []struct {
		name, doc, eventID string
		encoded            bool
		parts              int    // parts cut out with a key of their own
		stored             string // the encoded raw, when given
	}{
		{"same configuration and status twice", testEvent(testCfg, testCfg), "e-1", true, 2,
			"{\"AWSAccountId\":\x0f,\"AgentARN\":\x04,\"CurrentAgentSnapshot\":{\"AgentStatus\":\x06,\"Configuration\":\x01,\"Contacts\":[]},\"EventId\":\x03," +
				"\"PreviousAgentSnapshot\":{\"AgentStatus\":\x06,\"Configuration\":\x01},\"EventTimestamp\":\x08,\"EventType\":\x0e,\"InstanceARN\":\"\x05\"}"},
		{"configuration changed", testEvent(testCfg2, testCfg), "e-1", true, 3, ""},
		{"no previous snapshot", testEvent(testCfg, ""), "e-1", true, 2, ""},
		{"event id not the column's", testEvent(testCfg, testCfg), "e-2", true, 2, ""},
		{"configuration null", testEvent("null", testCfg), "e-1", false, 0, ""},
		{"white space", strings.Replace(testEvent(testCfg, testCfg), `,"EventId"`, `, "EventId"`, 1), "e-1", false, 0, ""},
		{"escaped key", strings.Replace(testEvent(testCfg, testCfg), `"Configuration"`, `"Configur\u0061tion"`, 2), "e-1", false, 0, ""},
		{"not an object", `[` + testEvent(testCfg, testCfg) + `]`, "e-1", false, 0, ""},
		{"truncated", testEvent(testCfg, testCfg)[:200], "e-1", false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cols := testColumns(tc.eventID)
			e := encodeAgentRaw([]byte(tc.doc), cols)
			if e.encoded() != tc.encoded {
				t.Fatalf("encoded %v, want %v: %q", e.encoded(), tc.encoded, e.raw)
			}
			parts := 0
			for p := range e.keys {
				for _, k := range e.keys[p] {
					if k != nil {
						parts++
					}
				}
			}
			if parts != tc.parts {
				t.Errorf("%d parts keyed, want %d", parts, tc.parts)
			}
			if tc.stored != "" && string(e.raw) != tc.stored {
				t.Errorf("stored\n%q\nwant\n%q", e.raw, tc.stored)
			}
			if got := decodeAgentRaw(e, cols); string(got) != tc.doc {
				t.Errorf("document back\n%s\nwant\n%s", got, tc.doc)
			}
		})
	}
}

func testColumns(eventID string) rawColumns {
	return rawColumns{eventID: eventID, eventType: "STATE_CHANGE", agentARN: testARN,
		eventTime: time.Date(2024, 3, 4, 7, 17, 17, 78e6, time.UTC)}
}

// FuzzEncodeAgentRaw: whatever the bytes and the columns, the document
// comes back byte for byte, and every part kept is the text its key names.
func FuzzEncodeAgentRaw(f *testing.F) {
	f.Add([]byte(testEvent(testCfg, testCfg2)), "e-1", "STATE_CHANGE", testARN, int64(1709536637078))
	f.Add([]byte(testEvent(testCfg, testCfg)), "e-1", "", "x/agent/", int64(0))
	f.Add([]byte(`{"CurrentAgentSnapshot":{"Configuration":{"a":"\"}"}},"EventId":"\\"}`), `\`, "x", "", int64(-1))
	f.Fuzz(func(t *testing.T, doc []byte, eventID, eventType, agentARN string, ms int64) {
		cols := rawColumns{eventID: eventID, eventType: eventType, agentARN: agentARN, eventTime: time.UnixMilli(ms)}
		e := encodeAgentRaw(doc, cols)
		if got := decodeAgentRaw(e, cols); !bytes.Equal(got, doc) {
			t.Fatalf("document back\n%q\nwant\n%q\nstored %q", got, doc, e.raw)
		}
		for p := range e.keys {
			for slot, k := range e.keys[p] {
				if k != nil && !bytes.Equal(k, partKey(e.texts[p][slot])) {
					t.Fatalf("part %d/%d keyed %x, its text %q", p, slot, k, e.texts[p][slot])
				}
			}
		}
	})
}
