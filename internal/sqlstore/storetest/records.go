package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Test data: agent events and contact records shaped like Amazon Connect's,
// with Raw holding the JSON a stream would carry.

// InstanceARN is the Connect instance of the records.
const InstanceARN = "arn:aws:connect:eu-west-2:123456789012:instance/0f5b2f6e-1111-4c4e-9c2d-5a0b7c4a9e01"

// T0 is when the generated records start.
var T0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func agentARN(agent string) string { return InstanceARN + "/agent/" + agent }

// RawHash is the raw_sha256 the store keeps of a record's raw document.
func RawHash(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

// AgentEvent builds an event of agent in status (started at statusStart).
func AgentEvent(id, typ string, ts time.Time, agent, status string, statusStart time.Time) connectreporting.AgentEvent {
	statusType := "ROUTABLE"
	switch status {
	case "Offline":
		statusType = "OFFLINE"
	case "Break", "Lunch", "Training":
		statusType = "CUSTOM"
	}
	e := connectreporting.AgentEvent{
		EventID:              id,
		EventType:            typ,
		EventTimestamp:       ts,
		Version:              "2019-05-25",
		AWSAccountID:         "123456789012",
		InstanceARN:          InstanceARN,
		AgentARN:             agentARN(agent),
		AgentID:              agent,
		Username:             "user-" + agent,
		StatusName:           status,
		StatusType:           statusType,
		StatusStartTimestamp: statusStart,
		RoutingProfileID:     "rp-basic",
		RoutingProfileARN:    InstanceARN + "/routing-profile/rp-basic",
		ContactCount:         int(ts.Unix() % 2),
	}
	raw := map[string]any{
		"AWSAccountId":   e.AWSAccountID,
		"AgentARN":       e.AgentARN,
		"EventId":        id,
		"EventTimestamp": ts.Format("2006-01-02T15:04:05.000Z"),
		"EventType":      typ,
		"InstanceARN":    InstanceARN,
		"Version":        e.Version,
		"CurrentAgentSnapshot": map[string]any{
			"AgentStatus": map[string]any{
				"Name": status, "Type": statusType,
				"StartTimestamp": statusStart.Format("2006-01-02T15:04:05.000Z"),
			},
			"Configuration": map[string]any{
				"Username":       e.Username,
				"RoutingProfile": map[string]any{"ARN": e.RoutingProfileARN, "Name": "Basic"},
			},
			"Contacts": []any{},
		},
	}
	e.Raw, _ = json.Marshal(raw)
	return e
}

func i64(v int64) *int64 { return &v }

// ContactRecord builds one version of a contact; attrs become Attributes.
func ContactRecord(id string, lastUpdate time.Time, agent string, attrs map[string]string) connectreporting.ContactRecord {
	init := lastUpdate.Add(-10 * time.Minute).Truncate(time.Second)
	c := connectreporting.ContactRecord{
		ContactID:                       id,
		InitialContactID:                id,
		AWSAccountID:                    "123456789012",
		InstanceARN:                     InstanceARN,
		Channel:                         connectreporting.ChannelVoice,
		InitiationMethod:                "INBOUND",
		InitiationTimestamp:             init,
		ConnectedToSystemTimestamp:      init.Add(time.Second),
		DisconnectTimestamp:             lastUpdate.Add(-time.Minute),
		DisconnectReason:                "CUSTOMER_DISCONNECT",
		LastUpdateTimestamp:             lastUpdate,
		QueueARN:                        InstanceARN + "/queue/q-sales",
		QueueID:                         "q-sales",
		QueueName:                       "Sales",
		EnqueueTimestamp:                init.Add(5 * time.Second),
		DequeueTimestamp:                init.Add(35 * time.Second),
		QueueDurationSeconds:            i64(30),
		AgentARN:                        agentARN(agent),
		AgentID:                         agent,
		AgentUsername:                   "user-" + agent,
		ConnectedToAgentTimestamp:       init.Add(36 * time.Second),
		AgentInteractionDurationSeconds: i64(int64(lastUpdate.Unix() % 500)),
		CustomerHoldDurationSeconds:     i64(0),
		AfterContactWorkDurationSeconds: i64(20),
		NumberOfHolds:                   i64(0),
		CustomerEndpoint:                "+441234567890",
		CustomerEndpointType:            "TELEPHONE_NUMBER",
		SystemEndpoint:                  "+448001234567",
		SystemEndpointType:              "TELEPHONE_NUMBER",
		Attributes:                      attrs,
	}
	raw := map[string]any{
		"ContactId":           id,
		"InitialContactId":    id,
		"Channel":             c.Channel,
		"InitiationMethod":    c.InitiationMethod,
		"InitiationTimestamp": init.Format(time.RFC3339),
		"LastUpdateTimestamp": lastUpdate.Format("2006-01-02T15:04:05.000Z"),
		"DisconnectTimestamp": c.DisconnectTimestamp.Format(time.RFC3339),
		"Agent":               map[string]any{"ARN": c.AgentARN, "Username": c.AgentUsername},
		"Queue":               map[string]any{"ARN": c.QueueARN, "Name": c.QueueName, "Duration": 30},
		"Attributes":          attrs,
	}
	c.Raw, _ = json.Marshal(raw)
	return c
}

// Rejected is an undecodable agent-events record of sequence number seq.
func Rejected(seq string, payload string) connectreporting.RejectedRecord {
	return connectreporting.RejectedRecord{
		Source:         connectreporting.SourceAgentEvents,
		PartitionKey:   "pk-" + seq,
		SequenceNumber: seq,
		ReceivedAt:     T0.Add(time.Hour),
		Error:          "EventTimestamp: not a timestamp",
		Payload:        []byte(payload),
	}
}

// Workload is a realistic set of records: agents logging in, changing
// status with heartbeats between, logging out; contacts whose records are
// updated several times (each version with a later LastUpdateTimestamp);
// and a few undecodable records.
type Workload struct {
	events   []connectreporting.AgentEvent
	contacts []connectreporting.ContactRecord // every version, oldest first per contact
	rejected []connectreporting.RejectedRecord
}

// GenWorkload generates the records of agents and contacts from rng.
func GenWorkload(rng *rand.Rand, agents, contacts int) Workload {
	var w Workload
	statuses := []string{"Available", "Break", "Lunch", "Training", "Available"}
	n := 0
	for a := range agents {
		agent := fmt.Sprintf("agent-%04d", a)
		ts := T0.Add(time.Duration(rng.IntN(600)) * time.Second).Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
		start := ts
		next := func(typ, status string, newStatus bool) {
			n++
			if newStatus {
				start = ts
			}
			w.events = append(w.events, AgentEvent(fmt.Sprintf("%08x-0000-4000-8000-%012d", rng.Uint32(), n), typ, ts, agent, status, start))
		}
		next(connectreporting.AgentEventLogin, "Available", true)
		steps := 3 + rng.IntN(8)
		for range steps {
			ts = ts.Add(time.Duration(30+rng.IntN(600)) * time.Second).Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
			if rng.IntN(3) == 0 {
				next(connectreporting.AgentEventHeartBeat, w.events[len(w.events)-1].StatusName, false)
				continue
			}
			next(connectreporting.AgentEventStateChange, statuses[rng.IntN(len(statuses))], true)
		}
		ts = ts.Add(time.Duration(60+rng.IntN(300)) * time.Second)
		next(connectreporting.AgentEventLogout, "Offline", true)
		ts = ts.Add(120 * time.Second)
		next(connectreporting.AgentEventHeartBeat, "Offline", false)
	}
	for c := range contacts {
		id := fmt.Sprintf("c0ffee%02x-%04x-4000-8000-%012d", rng.IntN(256), rng.IntN(65536), c)
		lu := T0.Add(time.Duration(rng.IntN(7200)) * time.Second).Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
		versions := 1 + rng.IntN(3)
		for v := range versions {
			attrs := map[string]string{"customerType": []string{"gold", "silver"}[rng.IntN(2)]}
			if v > 0 {
				attrs["version"] = fmt.Sprint(v)
				delete(attrs, "customerType") // a later version drops an attribute
			}
			w.contacts = append(w.contacts, ContactRecord(id, lu, fmt.Sprintf("agent-%04d", rng.IntN(agents)), attrs))
			lu = lu.Add(time.Duration(1+rng.IntN(120)) * time.Second)
		}
	}
	for r := range 5 {
		w.rejected = append(w.rejected, Rejected(fmt.Sprintf("4960%016d", r), fmt.Sprintf(`{"broken": %d`, r)))
	}
	return w
}

// Item is one record of any kind, for shuffling.
type Item struct {
	ev *connectreporting.AgentEvent
	cr *connectreporting.ContactRecord
	rj *connectreporting.RejectedRecord
}

// Items is every record of w, events first, then contacts, then rejected.
func (w Workload) Items() []Item {
	var it []Item
	for i := range w.events {
		it = append(it, Item{ev: &w.events[i]})
	}
	for i := range w.contacts {
		it = append(it, Item{cr: &w.contacts[i]})
	}
	for i := range w.rejected {
		it = append(it, Item{rj: &w.rejected[i]})
	}
	return it
}

// BatchOf is the batch of items.
func BatchOf(items []Item) connectreporting.Batch {
	var b connectreporting.Batch
	for _, it := range items {
		switch {
		case it.ev != nil:
			b.AgentEvents = append(b.AgentEvents, *it.ev)
		case it.cr != nil:
			b.ContactRecords = append(b.ContactRecords, *it.cr)
		default:
			b.Rejected = append(b.Rejected, *it.rj)
		}
	}
	return b
}

// NewRand is a deterministic random source for generated workloads.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
