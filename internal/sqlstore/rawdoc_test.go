package sqlstore

import (
	"bytes"
	"strings"
	"testing"
)

// decodeAgentRaw is what the view agent_event_document does (migration
// 00012 on PostgreSQL), in Go: the document back from an encoded raw.
func decodeAgentRaw(e encodedRaw, eventID, agentARN string) []byte {
	if !e.encoded() {
		return e.raw
	}
	doc := bytes.ReplaceAll(e.raw, []byte{markInstanceARN}, []byte(instanceARN(agentARN)))
	for p, rp := range rawParts {
		doc = bytes.ReplaceAll(doc, []byte{rp.mark}, e.texts[p][0])
		doc = bytes.ReplaceAll(doc, []byte{rp.mark + 1}, e.texts[p][1])
	}
	doc = bytes.ReplaceAll(doc, []byte{markEventID}, []byte(`"`+eventID+`"`))
	return bytes.ReplaceAll(doc, []byte{markAgentARN}, []byte(`"`+agentARN+`"`))
}

const (
	testARN   = "arn:aws:connect:us-east-1:123456789012:instance/i-1/agent/a-1"
	testCfg   = `{"RoutingProfile":{"ARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1/routing-profile/rp","Name":"Basic"},"Username":"ann"}`
	testCfg2  = `{"RoutingProfile":{"ARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1/routing-profile/rp2","Name":"Sales"},"Username":"ann"}`
	testState = `{"ARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1/agent-state/s","Name":"Available","Type":"ROUTABLE"}`
)

func testEvent(cur, prev string) string {
	doc := `{"AgentARN":"` + testARN + `","CurrentAgentSnapshot":{"AgentStatus":` + testState + `,"Configuration":` + cur + `,"Contacts":[]},"EventId":"e-1"`
	if prev != "" {
		doc += `,"PreviousAgentSnapshot":{"AgentStatus":` + testState + `,"Configuration":` + prev + `}`
	}
	return doc + `,"InstanceARN":"arn:aws:connect:us-east-1:123456789012:instance/i-1"}`
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
			"{\"AgentARN\":\x04,\"CurrentAgentSnapshot\":{\"AgentStatus\":\x06,\"Configuration\":\x01,\"Contacts\":[]},\"EventId\":\x03," +
				"\"PreviousAgentSnapshot\":{\"AgentStatus\":\x06,\"Configuration\":\x01},\"InstanceARN\":\"\x05\"}"},
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
			e := encodeAgentRaw([]byte(tc.doc), tc.eventID, testARN)
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
			if got := decodeAgentRaw(e, tc.eventID, testARN); string(got) != tc.doc {
				t.Errorf("document back\n%s\nwant\n%s", got, tc.doc)
			}
		})
	}
}

// FuzzEncodeAgentRaw: whatever the bytes and the columns, the document
// comes back byte for byte, and every part kept is the text its key names.
func FuzzEncodeAgentRaw(f *testing.F) {
	f.Add([]byte(testEvent(testCfg, testCfg2)), "e-1", testARN)
	f.Add([]byte(testEvent(testCfg, testCfg)), "e-1", "x/agent/")
	f.Add([]byte(`{"CurrentAgentSnapshot":{"Configuration":{"a":"\"}"}},"EventId":"\\"}`), `\`, "")
	f.Fuzz(func(t *testing.T, doc []byte, eventID, agentARN string) {
		e := encodeAgentRaw(doc, eventID, agentARN)
		if got := decodeAgentRaw(e, eventID, agentARN); !bytes.Equal(got, doc) {
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
