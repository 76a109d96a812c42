package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/dbtest"
)

// Test data: agent events and contact records shaped like Amazon Connect's,
// with Raw holding the JSON a stream would carry.

const testInstanceARN = "arn:aws:connect:eu-west-2:123456789012:instance/0f5b2f6e-1111-4c4e-9c2d-5a0b7c4a9e01"

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func agentARN(agent string) string { return testInstanceARN + "/agent/" + agent }

// agentEvent builds an event of agent in status (started at statusStart).
func agentEvent(id, typ string, ts time.Time, agent, status string, statusStart time.Time) connectreporting.AgentEvent {
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
		InstanceARN:          testInstanceARN,
		AgentARN:             agentARN(agent),
		AgentID:              agent,
		Username:             "user-" + agent,
		StatusName:           status,
		StatusType:           statusType,
		StatusStartTimestamp: statusStart,
		RoutingProfileID:     "rp-basic",
		RoutingProfileARN:    testInstanceARN + "/routing-profile/rp-basic",
		ContactCount:         int(ts.Unix() % 2),
	}
	raw := map[string]any{
		"AWSAccountId":   e.AWSAccountID,
		"AgentARN":       e.AgentARN,
		"EventId":        id,
		"EventTimestamp": ts.Format("2006-01-02T15:04:05.000Z"),
		"EventType":      typ,
		"InstanceARN":    testInstanceARN,
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

// contactRecord builds one version of a contact; attrs become Attributes.
func contactRecord(id string, lastUpdate time.Time, agent string, attrs map[string]string) connectreporting.ContactRecord {
	init := lastUpdate.Add(-10 * time.Minute).Truncate(time.Second)
	c := connectreporting.ContactRecord{
		ContactID:                       id,
		InitialContactID:                id,
		AWSAccountID:                    "123456789012",
		InstanceARN:                     testInstanceARN,
		Channel:                         connectreporting.ChannelVoice,
		InitiationMethod:                "INBOUND",
		InitiationTimestamp:             init,
		ConnectedToSystemTimestamp:      init.Add(time.Second),
		DisconnectTimestamp:             lastUpdate.Add(-time.Minute),
		DisconnectReason:                "CUSTOMER_DISCONNECT",
		LastUpdateTimestamp:             lastUpdate,
		QueueARN:                        testInstanceARN + "/queue/q-sales",
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

func rejected(seq string, payload string) connectreporting.RejectedRecord {
	return connectreporting.RejectedRecord{
		Source:         connectreporting.SourceAgentEvents,
		PartitionKey:   "pk-" + seq,
		SequenceNumber: seq,
		ReceivedAt:     t0.Add(time.Hour),
		Error:          "EventTimestamp: not a timestamp",
		Payload:        []byte(payload),
	}
}

// workload is a realistic set of records: agents logging in, changing
// status with heartbeats between, logging out; contacts whose records are
// updated several times (each version with a later LastUpdateTimestamp);
// and a few undecodable records.
type workload struct {
	events   []connectreporting.AgentEvent
	contacts []connectreporting.ContactRecord // every version, oldest first per contact
	rejected []connectreporting.RejectedRecord
}

func genWorkload(rng *rand.Rand, agents, contacts int) workload {
	var w workload
	statuses := []string{"Available", "Break", "Lunch", "Training", "Available"}
	n := 0
	for a := range agents {
		agent := fmt.Sprintf("agent-%04d", a)
		ts := t0.Add(time.Duration(rng.IntN(600)) * time.Second).Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
		start := ts
		next := func(typ, status string, newStatus bool) {
			n++
			if newStatus {
				start = ts
			}
			w.events = append(w.events, agentEvent(fmt.Sprintf("%08x-0000-4000-8000-%012d", rng.Uint32(), n), typ, ts, agent, status, start))
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
		lu := t0.Add(time.Duration(rng.IntN(7200)) * time.Second).Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
		versions := 1 + rng.IntN(3)
		for v := range versions {
			attrs := map[string]string{"customerType": []string{"gold", "silver"}[rng.IntN(2)]}
			if v > 0 {
				attrs["version"] = fmt.Sprint(v)
				delete(attrs, "customerType") // a later version drops an attribute
			}
			w.contacts = append(w.contacts, contactRecord(id, lu, fmt.Sprintf("agent-%04d", rng.IntN(agents)), attrs))
			lu = lu.Add(time.Duration(1+rng.IntN(120)) * time.Second)
		}
	}
	for r := range 5 {
		w.rejected = append(w.rejected, rejected(fmt.Sprintf("4960%016d", r), fmt.Sprintf(`{"broken": %d`, r)))
	}
	return w
}

// item is one record of any kind, for shuffling.
type item struct {
	ev *connectreporting.AgentEvent
	cr *connectreporting.ContactRecord
	rj *connectreporting.RejectedRecord
}

func (w workload) items() []item {
	var it []item
	for i := range w.events {
		it = append(it, item{ev: &w.events[i]})
	}
	for i := range w.contacts {
		it = append(it, item{cr: &w.contacts[i]})
	}
	for i := range w.rejected {
		it = append(it, item{rj: &w.rejected[i]})
	}
	return it
}

func batchOf(items []item) connectreporting.Batch {
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

// Dumping tables, for comparisons between databases.

var ingestTables = []struct{ name, order string }{
	{"agent_event", "event_id"},
	{"agent_state", "agent_id"},
	{"agent_status_interval", "agent_id, start_timestamp"},
	{"contact_record", "contact_id"},
	{"contact_attribute", "contact_id, name"},
	{"rejected_record", "source, sequence_number"},
}

// normValue renders a scanned value the same way on every dialect.
func normValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000Z")
	case []byte:
		return string(x)
	case float64:
		return fmt.Sprintf("%.3f", math.Round(x*1000)/1000)
	case float32:
		return fmt.Sprintf("%.3f", math.Round(float64(x)*1000)/1000)
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

// queryRows runs q and returns every row as normalised strings.
func queryRows(t testing.TB, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	_, rows := dbtest.Rows(t, db, q, args...)
	var out [][]string
	for _, vals := range rows {
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = normValue(v)
		}
		out = append(out, row)
	}
	return out
}

// dumpTables returns every ingest table, all columns, in key order. The
// generated rejected_record.id is left out: ids follow arrival order, which
// replays legitimately change.
func dumpTables(t testing.TB, db *sql.DB) map[string][]string {
	t.Helper()
	dump := map[string][]string{}
	for _, tb := range ingestTables {
		rows := queryRows(t, db, "SELECT * FROM "+tb.name+" ORDER BY "+tb.order)
		cols := tableColumns(t, db, tb.name)
		var lines []string
		for _, r := range rows {
			var parts []string
			for i, v := range r {
				if tb.name == "rejected_record" && cols[i] == "id" {
					continue
				}
				parts = append(parts, cols[i]+"="+v)
			}
			lines = append(lines, strings.Join(parts, " | "))
		}
		dump[tb.name] = lines
	}
	return dump
}

func tableColumns(t testing.TB, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table + " WHERE 1 = 0")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

func diffDumps(t testing.TB, want, got map[string][]string) {
	t.Helper()
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, g := want[n], got[n]
		if len(w) != len(g) {
			t.Errorf("%s: %d rows in order, %d after replay", n, len(w), len(g))
		}
		shown := 0
		for i := 0; i < len(w) && i < len(g); i++ {
			if w[i] != g[i] {
				t.Errorf("%s row %d differs:\n in order: %s\n replayed: %s", n, i, w[i], g[i])
				if shown++; shown == 3 {
					break
				}
			}
		}
	}
}

func newTestRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
