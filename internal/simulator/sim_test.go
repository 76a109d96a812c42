package simulator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// dayConfig is the configuration most tests share: a small centre, a full
// simulated day, with every delivery imperfection switched on.
func dayConfig() Config {
	c := Config{Seed: 42, Agents: 24, NumQueues: 3}
	c.AgentEventDuplicateRate = 0.01
	c.CTRDuplicateRate = 0.03
	c.CTRRedeliveryRate = 0.05
	if err := c.Normalize(); err != nil {
		panic(err)
	}
	return c
}

type dayRun struct {
	sim  *Simulator
	recs []Record
	end  time.Time
}

var (
	sharedOnce sync.Once
	shared     dayRun
	sharedErr  error
)

// sharedDay runs dayConfig once for a day and a half (agents log out, the
// next day's shifts start) and keeps the result for every test.
func sharedDay(t testing.TB) dayRun {
	t.Helper()
	sharedOnce.Do(func() {
		cfg := dayConfig()
		m := &MemorySink{}
		s, err := New(cfg, m)
		if err != nil {
			sharedErr = err
			return
		}
		end := cfg.Start.Add(32 * time.Hour)
		if err := s.RunUntil(end); err != nil {
			sharedErr = err
			return
		}
		shared = dayRun{sim: s, recs: m.Records(), end: end}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func digest(recs []Record) string {
	h := sha256.New()
	for _, r := range recs {
		fmt.Fprintf(h, "%s|%s|%d|", r.Stream, r.PartitionKey, r.Time.UnixMilli())
		h.Write(r.Data)
		h.Write([]byte{'\n'})
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func run(t *testing.T, cfg Config, until time.Time, step time.Duration) []Record {
	t.Helper()
	m := &MemorySink{}
	s, err := New(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	if step <= 0 {
		if err := s.RunUntil(until); err != nil {
			t.Fatal(err)
		}
	} else {
		for at := cfg.Start.Add(step); ; at = at.Add(step) {
			if at.After(until) {
				at = until
			}
			if err := s.RunUntil(at); err != nil {
				t.Fatal(err)
			}
			if !at.Before(until) {
				break
			}
		}
	}
	return m.Records()
}

func TestDeterminism(t *testing.T) {
	cfg := dayConfig()
	cfg.Agents = 12
	cfg.FlushEvery = 100
	until := cfg.Start.Add(13 * time.Hour)
	a := run(t, cfg, until, 0)
	b := run(t, cfg, until, 7*time.Minute+3*time.Second)
	if len(a) < 1000 {
		t.Fatalf("only %d records", len(a))
	}
	if da, db := digest(a), digest(b); da != db {
		t.Fatalf("same seed, different output: %d vs %d records", len(a), len(b))
	}
	// A file sink gets the same bytes as the memory sink.
	cfg2 := cfg
	cfg2.Seed++
	c := run(t, cfg2, until, 0)
	if digest(a) == digest(c) {
		t.Fatal("different seeds gave identical output")
	}
}

// decoded agent event (only what the tests look at).
type testEvent struct {
	EventID   string          `json:"EventId"`
	EventType string          `json:"EventType"`
	TS        string          `json:"EventTimestamp"`
	AgentARN  string          `json:"AgentARN"`
	Current   json.RawMessage `json:"CurrentAgentSnapshot"`
	Previous  json.RawMessage `json:"PreviousAgentSnapshot"`
}

type testSnapshot struct {
	AgentStatus struct {
		ARN, Name, StartTimestamp, Type string
	}
	Configuration struct {
		RoutingProfile struct {
			Concurrency []struct {
				AvailableSlots int
				Channel        string
				MaximumSlots   int
			}
		}
	}
	Contacts []struct {
		Channel                   string
		ContactId                 string
		State                     string
		ConnectedToAgentTimestamp *string
		InitiationMethod          string
		QueueTimestamp            *string
	}
	NextAgentStatus *struct{ Name string }
}

func parseTS(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(agentEventTimeLayout, s)
	if err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	return ts
}

func TestAgentEventsConsistent(t *testing.T) {
	d := sharedDay(t)
	statusType := map[string]string{}
	for _, st := range d.sim.AgentStatuses() {
		statusType[st.ARN] = st.Type
	}
	type agentTrack struct {
		last     *testEvent
		lastTime time.Time
		loggedIn bool
	}
	tracks := map[string]*agentTrack{}
	seen := map[string][]byte{}
	counts := map[string]int{}
	var heartbeats, dups int
	for _, r := range d.recs {
		if r.Stream != StreamAgentEvents {
			continue
		}
		var ev testEvent
		if err := json.Unmarshal(r.Data, &ev); err != nil {
			t.Fatalf("bad JSON: %v", err)
		}
		if prev, ok := seen[ev.EventID]; ok {
			if !bytes.Equal(prev, r.Data) {
				t.Fatalf("event %s delivered twice with different bytes", ev.EventID)
			}
			dups++
			continue
		}
		seen[ev.EventID] = r.Data
		counts[ev.EventType]++
		if r.PartitionKey != ev.AgentARN {
			t.Fatalf("partition key %q, agent %q", r.PartitionKey, ev.AgentARN)
		}
		tr := tracks[ev.AgentARN]
		if tr == nil {
			tr = &agentTrack{}
			tracks[ev.AgentARN] = tr
		}
		ts := parseTS(t, ev.TS)
		if !r.Time.Equal(ts) {
			t.Fatalf("record time %v, EventTimestamp %v", r.Time, ts)
		}
		switch ev.EventType {
		case "LOGIN":
			if tr.loggedIn {
				t.Fatalf("%s: LOGIN while logged in at %v", ev.AgentARN, ts)
			}
			tr.loggedIn = true
			if string(ev.Previous) != "null" {
				t.Fatalf("LOGIN has a previous snapshot")
			}
		case "LOGOUT":
			if !tr.loggedIn {
				t.Fatalf("LOGOUT while logged out")
			}
			tr.loggedIn = false
		default:
			if !tr.loggedIn {
				t.Fatalf("%s while logged out", ev.EventType)
			}
			// PreviousAgentSnapshot is the previous event's current snapshot.
			if tr.last == nil || !bytes.Equal(tr.last.Current, ev.Previous) {
				t.Fatalf("%s at %v: previous snapshot is not the last current snapshot", ev.EventType, ts)
			}
			gap := ts.Sub(tr.lastTime)
			if gap > 120*time.Second {
				t.Fatalf("%s: %v without an event while logged in (at %v)", ev.AgentARN, gap, ts)
			}
			if ev.EventType == "HEART_BEAT" {
				heartbeats++
				if gap != 120*time.Second {
					t.Fatalf("HEART_BEAT %v after the previous event", gap)
				}
				if !bytes.Equal(ev.Current, ev.Previous) {
					t.Fatalf("HEART_BEAT changed the snapshot")
				}
			}
		}
		if tr.last != nil && ts.Before(tr.lastTime) {
			t.Fatalf("events of %s go back in time", ev.AgentARN)
		}
		var snap testSnapshot
		if err := json.Unmarshal(ev.Current, &snap); err != nil {
			t.Fatal(err)
		}
		if typ := statusType[snap.AgentStatus.ARN]; typ == "" || typ != snap.AgentStatus.Type {
			t.Fatalf("status %s has type %q, configured %q", snap.AgentStatus.Name, snap.AgentStatus.Type, typ)
		}
		if parseTS(t, snap.AgentStatus.StartTimestamp).After(ts) {
			t.Fatal("status starts after the event")
		}
		if (ev.EventType == "LOGIN" || ev.EventType == "LOGOUT") && snap.AgentStatus.Type != "OFFLINE" {
			t.Fatalf("%s with status %s", ev.EventType, snap.AgentStatus.Name)
		}
		// Concurrency: never more contacts per channel than slots, one channel at a time.
		max := map[string]int{}
		for _, c := range snap.Configuration.RoutingProfile.Concurrency {
			max[c.Channel] = c.MaximumSlots
			if c.AvailableSlots < 0 || c.AvailableSlots > c.MaximumSlots {
				t.Fatalf("available slots %d of %d", c.AvailableSlots, c.MaximumSlots)
			}
		}
		held := map[string]int{}
		for _, c := range snap.Contacts {
			if c.State == "MISSED" {
				continue
			}
			held[c.Channel]++
			switch c.State {
			case "CONNECTED", "CONNECTED_ONHOLD", "ENDED":
				if c.ConnectedToAgentTimestamp == nil {
					t.Fatalf("%s contact without ConnectedToAgentTimestamp", c.State)
				}
			}
			if c.InitiationMethod == "OUTBOUND" && c.QueueTimestamp != nil {
				t.Fatal("outbound contact with a QueueTimestamp")
			}
		}
		if len(held) > 1 {
			t.Fatalf("agent holds contacts of several channels: %v", held)
		}
		for ch, n := range held {
			if n > max[ch] {
				t.Fatalf("agent holds %d %s contacts, concurrency %d", n, ch, max[ch])
			}
		}
		if len(snap.Contacts) > 0 && snap.AgentStatus.Type != "ROUTABLE" {
			t.Fatalf("agent in %s holds contacts", snap.AgentStatus.Name)
		}
		e := ev
		tr.last, tr.lastTime = &e, ts
	}
	for _, k := range []string{"LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT"} {
		if counts[k] == 0 {
			t.Errorf("no %s events", k)
		}
	}
	if dups == 0 {
		t.Error("no duplicate agent events at rate 0.01")
	}
	t.Logf("agent events: %v, %d duplicates", counts, dups)
}

func TestContactsConserved(t *testing.T) {
	d := sharedDay(t)
	s := d.sim
	tr := s.Truth(s.cfg.Start.Add(-24*time.Hour), d.end.Add(time.Hour))
	var offered, answered, handled, abandoned, completed int
	for _, q := range tr.Queues {
		offered += q.ContactsOffered
		answered += q.ContactsAnswered
		handled += q.ContactsHandled
		abandoned += q.ContactsAbandoned
		completed += q.ContactsCompleted
		if q.ContactsCompleted > q.ContactsHandled || q.ContactsHandled > q.ContactsAnswered {
			t.Fatal("completed > handled > answered")
		}
		if q.ContactsAnswered+q.ContactsAbandoned > q.ContactsOffered {
			t.Fatalf("%s %s %v: more out than in", q.QueueName, q.Channel, q.IntervalStart)
		}
		if q.HandleTimeSeconds < q.ACWTimeSeconds+q.HoldTimeSeconds {
			t.Fatalf("handle time below ACW + hold")
		}
	}
	inQueue := 0
	for _, m := range s.CurrentQueueMetrics() {
		inQueue += int(*m.ContactsInQueue)
	}
	if offered != answered+abandoned+inQueue {
		t.Fatalf("offered %d != answered %d + abandoned %d + in queue %d", offered, answered, abandoned, inQueue)
	}
	if offered < 1000 || handled == 0 || abandoned == 0 || completed == 0 {
		t.Fatalf("implausible day: offered %d handled %d abandoned %d", offered, handled, abandoned)
	}
	// The facts agree with the truth.
	facts := s.ContactFacts(s.cfg.Start.Add(-24*time.Hour), d.end.Add(time.Hour))
	var fOffered, fAnswered, fHandled, fAbandoned, ended int
	var answerSec, handleSec, truthHandle float64
	methods := map[string]int{}
	for i, f := range facts {
		if i > 0 && f.Initiation.Before(facts[i-1].Initiation) {
			t.Fatal("facts not in initiation order")
		}
		methods[f.InitiationMethod]++
		if !f.Enqueue.IsZero() {
			fOffered++
		}
		if f.QueueID != "" && !f.ConnectedToAgent.IsZero() {
			fAnswered++
			answerSec += f.Dequeue.Sub(f.Enqueue).Seconds()
			if !f.AgentDisconnect.IsZero() {
				fHandled++
				handleSec += f.AgentDisconnect.Sub(f.ConnectedToAgent).Seconds()
				if !f.ACWEnd.IsZero() {
					handleSec += f.ACWEnd.Sub(f.AgentDisconnect).Seconds()
				}
			}
		}
		if f.Abandoned {
			fAbandoned++
			if f.AgentID != "" {
				t.Fatal("abandoned contact with an agent")
			}
		}
		if !f.Disconnect.IsZero() && (f.ConnectedToAgent.IsZero() || !f.ACWEnd.IsZero()) {
			ended++
		}
	}
	if fOffered != offered || fAnswered != answered || fHandled != handled || fAbandoned != abandoned {
		t.Fatalf("facts %d/%d/%d/%d, truth %d/%d/%d/%d", fOffered, fAnswered, fHandled, fAbandoned, offered, answered, handled, abandoned)
	}
	var truthAnswer float64
	for _, q := range tr.Queues {
		truthAnswer += q.QueueAnswerTimeSeconds
		truthHandle += q.HandleTimeSeconds
	}
	if d := truthAnswer - answerSec; d > 0.01 || d < -0.01 {
		t.Fatalf("queue answer time: truth %.3f, facts %.3f", truthAnswer, answerSec)
	}
	if d := truthHandle - handleSec; d > 0.01 || d < -0.01 {
		t.Fatalf("handle time: truth %.3f, facts %.3f", truthHandle, handleSec)
	}
	for _, m := range []string{"INBOUND", "OUTBOUND", "TRANSFER", "CALLBACK", "API"} {
		if methods[m] == 0 {
			t.Errorf("no %s contacts", m)
		}
	}
	// Every ended contact has a contact record.
	ctrIDs := map[string]bool{}
	for _, r := range d.recs {
		if r.Stream == StreamCTR {
			ctrIDs[r.PartitionKey] = true
		}
	}
	// CTRs are emitted up to 20 s after the end; allow for those in flight.
	if len(ctrIDs) > ended || len(ctrIDs) < ended-20 {
		t.Fatalf("%d contacts ended, %d have a CTR", ended, len(ctrIDs))
	}
	t.Logf("offered %d answered %d handled %d completed %d abandoned %d in queue %d; methods %v", offered, answered, handled, completed, abandoned, inQueue, methods)
}

func TestCTRDeliveries(t *testing.T) {
	d := sharedDay(t)
	type ver struct {
		data []byte
		lut  string
	}
	byID := map[string][]ver{}
	for _, r := range d.recs {
		if r.Stream != StreamCTR {
			continue
		}
		var c struct {
			ContactId           string
			LastUpdateTimestamp string
			DisconnectTimestamp string
		}
		if err := json.Unmarshal(r.Data, &c); err != nil {
			t.Fatal(err)
		}
		if c.ContactId != r.PartitionKey {
			t.Fatal("CTR partition key is not the contact id")
		}
		if c.LastUpdateTimestamp < c.DisconnectTimestamp {
			t.Fatal("LastUpdateTimestamp before DisconnectTimestamp")
		}
		byID[c.ContactId] = append(byID[c.ContactId], ver{r.Data, c.LastUpdateTimestamp})
	}
	var dups, updates int
	for _, vs := range byID {
		for i := 1; i < len(vs); i++ {
			switch {
			case bytes.Equal(vs[i].data, vs[0].data):
				dups++
			case vs[i].lut > vs[0].lut:
				updates++
			default:
				t.Fatalf("re-delivery without a newer LastUpdateTimestamp: %s vs %s", vs[i].lut, vs[0].lut)
			}
		}
	}
	if dups == 0 || updates == 0 {
		t.Fatalf("duplicates %d, updated re-deliveries %d", dups, updates)
	}
	t.Logf("%d contacts, %d duplicates, %d updated re-deliveries", len(byID), dups, updates)
}

func TestTruthAgentStatusTime(t *testing.T) {
	d := sharedDay(t)
	s := d.sim
	// Logged-in time from the events, per agent.
	login := map[string]time.Time{}
	loggedIn := map[string]time.Duration{}
	for _, r := range d.recs {
		if r.Stream != StreamAgentEvents {
			continue
		}
		var ev testEvent
		_ = json.Unmarshal(r.Data, &ev)
		switch ev.EventType {
		case "LOGIN":
			login[ev.AgentARN] = r.Time
		case "LOGOUT":
			if st, ok := login[ev.AgentARN]; ok {
				loggedIn[ev.AgentARN] += r.Time.Sub(st)
				delete(login, ev.AgentARN)
			}
		}
	}
	for arn, st := range login {
		loggedIn[arn] += d.end.Sub(st)
	}
	tr := s.Truth(s.cfg.Start.Add(-24*time.Hour), d.end.Add(time.Hour))
	byAgent := map[string]float64{}
	statuses := map[string]bool{}
	for _, a := range tr.AgentStatuses {
		byAgent[a.AgentID] += a.Seconds
		statuses[a.StatusName] = true
		if a.Seconds <= 0 || a.Seconds > TruthInterval.Seconds() {
			t.Fatalf("%v seconds in one interval", a.Seconds)
		}
	}
	for _, u := range s.Users() {
		want := loggedIn[u.ARN].Seconds()
		if got := byAgent[u.ID]; got < want-0.01 || got > want+0.01 {
			t.Fatalf("%s: status time %.3f s, logged in %.3f s", u.Username, got, want)
		}
	}
	for _, st := range []string{"Available", "Offline", "Break", "Lunch", "Training"} {
		if !statuses[st] {
			t.Errorf("no time in %s", st)
		}
	}
}

func TestSourceSnapshots(t *testing.T) {
	cfg := dayConfig()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RunUntil(cfg.Start.Add(11 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !s.Now().Equal(cfg.Start.Add(11 * time.Hour)) {
		t.Fatalf("Now %v", s.Now())
	}
	ud := s.CurrentUserData()
	if len(ud) == 0 {
		t.Fatal("nobody logged in at 11:00")
	}
	holding := 0
	for _, u := range ud {
		for ch, n := range u.ActiveSlots {
			if n > u.MaxSlots[ch] || u.AvailableSlots[ch] > u.MaxSlots[ch]-n {
				t.Fatalf("slots %v %v %v", u.MaxSlots, u.ActiveSlots, u.AvailableSlots)
			}
		}
		holding += len(u.Contacts)
		for _, c := range u.Contacts {
			if c.QueueID == "" || c.QueueARN == "" {
				t.Fatal("contact without queue")
			}
		}
	}
	if holding == 0 {
		t.Fatal("no agent holds a contact at 11:00")
	}
	ms := s.CurrentQueueMetrics()
	if len(ms) != 3*3 {
		t.Fatalf("%d snapshots", len(ms))
	}
	for _, m := range ms {
		if *m.AgentsAvailable+*m.AgentsOnContact+*m.AgentsAfterContactWork+*m.AgentsNonProductive+*m.AgentsError > *m.AgentsOnline {
			t.Fatalf("%s %s: agent states exceed online: %+v", m.QueueID, m.Channel, m)
		}
		if *m.AgentsStaffed > *m.AgentsOnline || *m.OldestContactAgeSeconds < 0 {
			t.Fatal("staffed > online or negative age")
		}
		if *m.ContactsInQueue == 0 && *m.OldestContactAgeSeconds != 0 {
			t.Fatal("age without contacts")
		}
		if !m.SnapshotTime.Equal(s.Now()) {
			t.Fatal("snapshot time")
		}
	}
	// Configuration lists hang together.
	queues := map[string]bool{}
	for _, q := range s.Queues() {
		queues[q.ID] = true
	}
	rps := map[string]bool{}
	for _, rp := range s.RoutingProfiles() {
		rps[rp.ID] = true
		if !queues[rp.DefaultOutboundQueueID] {
			t.Fatal("unknown outbound queue")
		}
	}
	for _, rq := range s.RoutingProfileQueues() {
		if !rps[rq.RoutingProfileID] || !queues[rq.QueueID] {
			t.Fatal("dangling routing profile queue")
		}
	}
	groups := map[string]bool{}
	for _, g := range s.HierarchyGroups() {
		groups[g.ID] = true
		if len(g.Path) == 0 || g.Path[len(g.Path)-1] != g.ID {
			t.Fatal("bad group path")
		}
	}
	if len(s.HierarchyLevels()) != 3 {
		t.Fatal("levels")
	}
	for _, u := range s.Users() {
		if !rps[u.RoutingProfileID] || !groups[u.HierarchyGroupID] {
			t.Fatal("dangling user reference")
		}
		if u.ARN != s.InstanceARN()+"/agent/"+u.ID {
			t.Fatalf("agent ARN %s", u.ARN)
		}
	}
	if len(s.AgentStatuses()) != 5 {
		t.Fatal("statuses")
	}
	// Concurrent readers while the model runs (race detector).
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				s.CurrentQueueMetrics()
				s.CurrentUserData()
				s.ContactFacts(cfg.Start, s.Now())
				s.Truth(cfg.Start, s.Now())
			}
		}()
	}
	if err := s.RunUntil(cfg.Start.Add(12 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
}

func TestRealTimeRun(t *testing.T) {
	cfg := dayConfig()
	cfg.Start = cfg.Start.Add(9 * time.Hour)
	var mu sync.Mutex
	n := 0
	s, err := New(cfg, SinkFunc(func(_ context.Context, recs []Record) error {
		mu.Lock()
		n += len(recs)
		mu.Unlock()
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx, 3600, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	adv := s.Now().Sub(cfg.Start)
	// 0.3 s of wall clock at 3600x is about 18 simulated minutes.
	if adv < 5*time.Minute || adv > 40*time.Minute {
		t.Fatalf("simulated time advanced %v", adv)
	}
	mu.Lock()
	defer mu.Unlock()
	if n == 0 {
		t.Fatal("no records in real-time mode")
	}
}

func TestFileAndChannelSinks(t *testing.T) {
	cfg := dayConfig()
	cfg.Agents = 10
	dir := t.TempDir()
	fs, err := NewFileSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan Record, 1<<16)
	mem := &MemorySink{}
	s, err := New(cfg, fs, ChannelSink(ch), mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RunUntil(cfg.Start.Add(10 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	close(ch)
	var viaChan []Record
	for r := range ch {
		viaChan = append(viaChan, r)
	}
	recs := mem.Records()
	if digest(viaChan) != digest(recs) {
		t.Fatal("channel sink differs")
	}
	want := map[string][]byte{}
	for _, r := range recs {
		want[r.Stream] = append(append(want[r.Stream], r.Data...), '\n')
	}
	for stream, name := range map[string]string{StreamAgentEvents: AgentEventsFile, StreamCTR: CTRFile} {
		got := readFile(t, dir, name)
		if !bytes.Equal(got, want[stream]) {
			t.Fatalf("%s differs from the records", name)
		}
		if len(got) == 0 {
			t.Fatalf("%s empty", name)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	bad := []Config{
		{Queues: []QueueConfig{{Name: "A"}, {Name: "A"}}},
		{RoutingProfiles: []RoutingProfileConfig{{Name: "P", Queues: []RoutingQueueConfig{{Queue: "nope"}}}}},
		{Statuses: []StatusConfig{{"Available", "ROUTABLE"}}},
		{Hierarchy: HierarchyConfig{LevelNames: []string{"A", "B"}, Fanout: []int{2}}},
		{CTRDuplicateRate: 2},
	}
	for i, c := range bad {
		if err := c.Normalize(); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
	c := DefaultConfig(7, 5, 2)
	if c.InstanceID != DefaultConfig(7, 5, 2).InstanceID || c.InstanceID == DefaultConfig(8, 5, 2).InstanceID {
		t.Fatal("instance id not derived from the seed")
	}
	if len(c.RoutingProfiles) != 2 || c.RoutingProfiles[0].Concurrency["CHAT"] != 3 {
		t.Fatalf("default routing profiles %+v", c.RoutingProfiles)
	}
}

// keysOf lists a map's keys in order (for messages).
func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// BenchmarkSimulateDay simulates one day of a 200-agent, 5-queue centre,
// emitting and discarding every record.
func BenchmarkSimulateDay(b *testing.B) {
	for i := 0; i < b.N; i++ {
		cfg := DefaultConfig(int64(i+1), 200, 5)
		var n, size int
		s, err := New(cfg, SinkFunc(func(_ context.Context, recs []Record) error {
			n += len(recs)
			for _, r := range recs {
				size += len(r.Data)
			}
			return nil
		}))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.RunUntil(cfg.Start.Add(24 * time.Hour)); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "records/op")
		b.ReportMetric(float64(size)/1e6, "MB-emitted/op")
		b.ReportMetric(float64(len(s.contacts)), "contacts/op")
	}
}

// TestShortInstanceID: any instance id works, however short (simulate
// --instance-id takes what the user gives).
func TestShortInstanceID(t *testing.T) {
	cfg := DefaultConfig(3, 10, 2)
	cfg.InstanceID = "i1"
	sim, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mem := &MemorySink{}
	sim.AddSink(mem)
	if err := sim.RunUntil(cfg.Start.Add(12 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	voice := 0
	for _, r := range mem.Records() {
		if r.Stream == StreamCTR && strings.Contains(string(r.Data), `"Channel":"VOICE"`) && strings.Contains(string(r.Data), "connect-i1/") {
			voice++
		}
	}
	if voice == 0 {
		t.Error("no voice contact record with a recording location")
	}
}
