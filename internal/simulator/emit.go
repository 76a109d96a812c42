package simulator

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// AgentEventVersion is the Version field of emitted agent events.
const AgentEventVersion = "2019-05-25"

// CTRFormatVersion is the AWSContactTraceRecordFormatVersion of emitted CTRs.
const CTRFormatVersion = "2017-03-10"

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			enc, _ := json.Marshal(s)
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendKey(b []byte, k string) []byte {
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func appendNullableString(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

func appendNullableAETime(b []byte, ms int64) []byte {
	if ms == 0 {
		return append(b, "null"...)
	}
	return appendAETime(b, ms)
}

// prepareAgentJSON builds the static parts of an agent's Configuration object:
// everything but RoutingProfile.Concurrency.
func (s *Simulator) prepareAgentJSON(a *agent) {
	b := appendHierarchyGroups([]byte(`{"AgentHierarchyGroups":`), a.group.path)
	b = append(b, `,"FirstName":`...)
	b = appendJSONString(b, a.first)
	b = append(b, `,"LastName":`...)
	b = appendJSONString(b, a.last)
	b = append(b, `,"RoutingProfile":{"ARN":`...)
	b = appendJSONString(b, a.rp.arn)
	b = append(b, `,"Concurrency":`...)
	a.cfgPrefix = b

	b = []byte(`,"DefaultOutboundQueue":{"ARN":`)
	b = appendJSONString(b, a.rp.outbound.arn)
	b = append(b, `,"Channels":["VOICE"],"Name":`...)
	b = appendJSONString(b, a.rp.outbound.name)
	b = append(b, `},"InboundQueues":[{"ARN":`...)
	b = appendJSONString(b, s.arnPrefix+"queue/agent/"+a.id)
	b = append(b, `,"Channels":`...)
	var chs []string
	for ci, ch := range channels {
		if a.rp.conc[ci] > 0 {
			chs = append(chs, ch)
		}
	}
	b = appendStrings(b, chs)
	b = append(b, `,"Name":null}`...)
	for _, q := range s.queues {
		chs = chs[:0]
		for ci, ch := range channels {
			if a.rp.serve[q.idx][ci].ok {
				chs = append(chs, ch)
			}
		}
		if len(chs) == 0 {
			continue
		}
		b = append(b, `,{"ARN":`...)
		b = appendJSONString(b, q.arn)
		b = append(b, `,"Channels":`...)
		b = appendStrings(b, chs)
		b = append(b, `,"Name":`...)
		b = appendJSONString(b, q.name)
		b = append(b, '}')
	}
	b = append(b, `],"Name":`...)
	b = appendJSONString(b, a.rp.name)
	b = append(b, `},"Username":`...)
	b = appendJSONString(b, a.username)
	b = append(b, '}')
	a.cfgSuffix = b
}

// appendHierarchyGroups appends the AgentHierarchyGroups object of an agent
// in group path (top level first): Level1 to Level5, null where none.
func appendHierarchyGroups(b []byte, path []*group) []byte {
	b = append(b, '{')
	for lvl := 1; lvl <= 5; lvl++ {
		if lvl > 1 {
			b = append(b, ',')
		}
		b = appendKey(b, "Level"+strconv.Itoa(lvl))
		if lvl > len(path) {
			b = append(b, "null"...)
			continue
		}
		g := path[lvl-1]
		b = append(b, `{"ARN":`...)
		b = appendJSONString(b, g.arn)
		b = append(b, `,"Name":`...)
		b = appendJSONString(b, g.name)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendStrings appends a JSON array of strings.
func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, v := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// concurrency order in events: channels sorted by name (CHAT, TASK, VOICE).
var concOrder = [3]int{chChat, chTask, chVoice}

// slots returns the active and available slots of an agent per channel. An
// agent works one channel at a time: while it holds a contact of one
// channel, the others have no available slot.
func (a *agent) slots() (active, avail [3]int) {
	busyOther := -1
	for _, l := range a.legs {
		if l.state == stateMissed {
			continue
		}
		active[l.c.ch]++
		busyOther = l.c.ch
	}
	for ci := range channels {
		if a.rp.conc[ci] == 0 {
			continue
		}
		if busyOther >= 0 && busyOther != ci {
			continue
		}
		avail[ci] = a.rp.conc[ci] - active[ci]
		if avail[ci] < 0 {
			avail[ci] = 0
		}
	}
	return
}

func (s *Simulator) appendSnapshot(b []byte, a *agent) []byte {
	b = append(b, `{"AgentStatus":{"ARN":`...)
	b = appendJSONString(b, a.status.arn)
	b = append(b, `,"Name":`...)
	b = appendJSONString(b, a.status.name)
	b = append(b, `,"StartTimestamp":`...)
	b = appendAETime(b, a.statusStart)
	b = append(b, `,"Type":`...)
	b = appendJSONString(b, a.status.typ)
	b = append(b, `},"Configuration":`...)
	b = append(b, a.cfgPrefix...)
	b = appendConcurrency(b, a)
	b = append(b, a.cfgSuffix...)
	b = append(b, `,"Contacts":[`...)
	for i, l := range a.legs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLeg(b, l)
	}
	b = append(b, `],"NextAgentStatus":`...)
	if a.next == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"ARN":`...)
		b = appendJSONString(b, a.next.st.arn)
		b = append(b, `,"EnqueuedTimestamp":`...)
		b = appendAETime(b, a.next.at)
		b = append(b, `,"Name":`...)
		b = appendJSONString(b, a.next.st.name)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendConcurrency appends the agent's RoutingProfile.Concurrency: its
// slots per channel it takes, in concOrder.
func appendConcurrency(b []byte, a *agent) []byte {
	b = append(b, '[')
	_, avail := a.slots()
	first := true
	for _, ci := range concOrder {
		if a.rp.conc[ci] == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"AvailableSlots":`...)
		b = strconv.AppendInt(b, int64(avail[ci]), 10)
		b = append(b, `,"Channel":`...)
		b = appendJSONString(b, channels[ci])
		b = append(b, `,"MaximumSlots":`...)
		b = strconv.AppendInt(b, int64(a.rp.conc[ci]), 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendLeg appends one of the agent's contacts as the snapshot lists it.
func appendLeg(b []byte, l *leg) []byte {
	c := l.c
	b = append(b, `{"Channel":`...)
	b = appendJSONString(b, channels[c.ch])
	b = append(b, `,"ConnectedToAgentTimestamp":`...)
	if l.state == stateMissed || l.state == stateIncoming || l.state == stateConnecting {
		b = append(b, "null"...)
	} else {
		b = appendNullableAETime(b, c.connected)
	}
	b = append(b, `,"ContactId":`...)
	b = appendJSONString(b, c.id)
	b = append(b, `,"InitialContactId":`...)
	b = appendNullableString(b, c.initialID)
	b = append(b, `,"InitiationMethod":`...)
	b = appendJSONString(b, c.method)
	b = append(b, `,"Queue":{"ARN":`...)
	b = appendJSONString(b, c.q.arn)
	b = append(b, `,"Name":`...)
	b = appendJSONString(b, c.q.name)
	b = append(b, `},"QueueTimestamp":`...)
	b = appendNullableAETime(b, c.enqueue)
	b = append(b, `,"State":`...)
	b = appendJSONString(b, l.state)
	b = append(b, `,"StateStartTimestamp":`...)
	b = appendAETime(b, l.stateStart)
	return append(b, '}')
}

// emitAgentEvent emits one agent event of the given type for a, with the
// agent's current state as CurrentAgentSnapshot and the previous event's
// current snapshot as PreviousAgentSnapshot (null for LOGIN and LOGOUT).
func (s *Simulator) emitAgentEvent(a *agent, typ string) {
	snap := s.appendSnapshot(make([]byte, 0, 2048), a)
	b := make([]byte, 0, len(snap)*2+512)
	b = append(b, `{"AWSAccountId":`...)
	b = appendJSONString(b, s.cfg.AccountID)
	b = append(b, `,"AgentARN":`...)
	b = appendJSONString(b, a.arn)
	b = append(b, `,"CurrentAgentSnapshot":`...)
	b = append(b, snap...)
	b = append(b, `,"EventId":`...)
	b = appendJSONString(b, randUUID(s.idRng))
	b = append(b, `,"EventTimestamp":`...)
	b = appendAETime(b, s.now)
	b = append(b, `,"EventType":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"InstanceARN":`...)
	b = appendJSONString(b, s.instanceARN)
	b = append(b, `,"PreviousAgentSnapshot":`...)
	if typ == "LOGIN" || typ == "LOGOUT" || a.prevSnap == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, a.prevSnap...)
	}
	b = append(b, `,"Version":"`+AgentEventVersion+`"}`...)
	a.prevSnap = snap
	s.emitMaybeTwice(Record{Stream: StreamAgentEvents, PartitionKey: a.arn, Time: msTime(s.now), Data: b}, s.cfg.AgentEventDuplicateRate, 5000)
	// HEART_BEAT after HeartbeatInterval of silence.
	a.evGen++
	if a.loggedIn {
		gen := a.evGen
		s.after(s.cfg.HeartbeatInterval.Milliseconds(), func() {
			if a.loggedIn && a.evGen == gen {
				s.emitAgentEvent(a, "HEART_BEAT")
			}
		})
	}
}

// --- contact trace records -----------------------------------------------------

type ctrRecord struct {
	AWSAccountID                       string            `json:"AWSAccountId"`
	AWSContactTraceRecordFormatVersion string            `json:"AWSContactTraceRecordFormatVersion"`
	Agent                              *ctrAgent         `json:"Agent"`
	AgentConnectionAttempts            int               `json:"AgentConnectionAttempts"`
	AnsweringMachineDetectionStatus    *string           `json:"AnsweringMachineDetectionStatus"`
	Attributes                         map[string]string `json:"Attributes"`
	Campaign                           ctrCampaign       `json:"Campaign"`
	Channel                            string            `json:"Channel"`
	ConnectedToSystemTimestamp         *string           `json:"ConnectedToSystemTimestamp"`
	ContactDetails                     map[string]string `json:"ContactDetails"`
	ContactID                          string            `json:"ContactId"`
	CustomerEndpoint                   *ctrEndpoint      `json:"CustomerEndpoint"`
	DisconnectReason                   *string           `json:"DisconnectReason"`
	DisconnectTimestamp                *string           `json:"DisconnectTimestamp"`
	InitialContactID                   *string           `json:"InitialContactId"`
	InitiationMethod                   string            `json:"InitiationMethod"`
	InitiationTimestamp                *string           `json:"InitiationTimestamp"`
	InstanceARN                        string            `json:"InstanceARN"`
	LastUpdateTimestamp                *string           `json:"LastUpdateTimestamp"`
	MediaStreams                       []ctrMediaStream  `json:"MediaStreams"`
	NextContactID                      *string           `json:"NextContactId"`
	PreviousContactID                  *string           `json:"PreviousContactId"`
	Queue                              *ctrQueue         `json:"Queue"`
	Recording                          *ctrRecording     `json:"Recording"`
	Recordings                         []ctrRecordings   `json:"Recordings"`
	References                         []struct{}        `json:"References"`
	ScheduledTimestamp                 *string           `json:"ScheduledTimestamp"`
	SystemEndpoint                     *ctrEndpoint      `json:"SystemEndpoint"`
	TransferCompletedTimestamp         *string           `json:"TransferCompletedTimestamp"`
	TransferredToEndpoint              *ctrEndpoint      `json:"TransferredToEndpoint"`
	VoiceIDResult                      *struct{}         `json:"VoiceIdResult"`
}

type ctrAgent struct {
	ARN                            string          `json:"ARN"`
	AfterContactWorkDuration       *int64          `json:"AfterContactWorkDuration"`
	AfterContactWorkEndTimestamp   *string         `json:"AfterContactWorkEndTimestamp"`
	AfterContactWorkStartTimestamp *string         `json:"AfterContactWorkStartTimestamp"`
	AgentInteractionDuration       int64           `json:"AgentInteractionDuration"`
	ConnectedToAgentTimestamp      *string         `json:"ConnectedToAgentTimestamp"`
	CustomerHoldDuration           int64           `json:"CustomerHoldDuration"`
	HierarchyGroups                *ctrHierarchy   `json:"HierarchyGroups"`
	LongestHoldDuration            int64           `json:"LongestHoldDuration"`
	NumberOfHolds                  int             `json:"NumberOfHolds"`
	RoutingProfile                 *ctrNamedObject `json:"RoutingProfile"`
	Username                       string          `json:"Username"`
}

type ctrHierarchy struct {
	Level1 *ctrGroup `json:"Level1"`
	Level2 *ctrGroup `json:"Level2"`
	Level3 *ctrGroup `json:"Level3"`
	Level4 *ctrGroup `json:"Level4"`
	Level5 *ctrGroup `json:"Level5"`
}

type ctrGroup struct {
	ARN       string `json:"ARN"`
	GroupName string `json:"GroupName"`
}

type ctrNamedObject struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
}

type ctrCampaign struct {
	CampaignID *string `json:"CampaignId"`
}

type ctrEndpoint struct {
	Address string `json:"Address"`
	Type    string `json:"Type"`
}

type ctrMediaStream struct {
	Type string `json:"Type"`
}

type ctrQueue struct {
	ARN              string  `json:"ARN"`
	DequeueTimestamp *string `json:"DequeueTimestamp"`
	Duration         int64   `json:"Duration"`
	EnqueueTimestamp *string `json:"EnqueueTimestamp"`
	Name             string  `json:"Name"`
}

type ctrRecording struct {
	DeletionReason *string `json:"DeletionReason"`
	Location       string  `json:"Location"`
	Status         string  `json:"Status"`
	Type           string  `json:"Type"`
}

type ctrRecordings struct {
	DeletionReason      *string `json:"DeletionReason"`
	FragmentStartNumber *string `json:"FragmentStartNumber"`
	FragmentStopNumber  *string `json:"FragmentStopNumber"`
	Location            string  `json:"Location"`
	MediaStreamType     string  `json:"MediaStreamType"`
	ParticipantType     *string `json:"ParticipantType"`
	StartTimestamp      *string `json:"StartTimestamp"`
	Status              string  `json:"Status"`
	StopTimestamp       *string `json:"StopTimestamp"`
	StorageType         string  `json:"StorageType"`
}

func ctrTime(ms int64) *string {
	if ms == 0 {
		return nil
	}
	t := msTime(ms).Format(ctrTimeLayout)
	return &t
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func seconds(ms int64) int64 { return int64(math.Round(float64(ms) / 1000)) }

func (s *Simulator) buildCTR(c *contact, lastUpdate int64, extra [][2]string) ctrRecord {
	r := ctrRecord{
		AWSAccountID:                       s.cfg.AccountID,
		AWSContactTraceRecordFormatVersion: CTRFormatVersion,
		AgentConnectionAttempts:            c.attempts,
		Attributes:                         map[string]string{},
		Channel:                            channels[c.ch],
		ConnectedToSystemTimestamp:         ctrTime(c.connectedToSystem),
		ContactDetails:                     map[string]string{},
		ContactID:                          c.id,
		DisconnectReason:                   strPtr(c.disconnectReason),
		DisconnectTimestamp:                ctrTime(c.disconnect),
		InitialContactID:                   strPtr(c.initialID),
		InitiationMethod:                   c.method,
		InitiationTimestamp:                ctrTime(c.initiation),
		InstanceARN:                        s.instanceARN,
		LastUpdateTimestamp:                ctrTime(lastUpdate),
		MediaStreams:                       []ctrMediaStream{{Type: []string{"AUDIO", "CHAT", "TASK"}[c.ch]}},
		NextContactID:                      strPtr(c.nextID),
		PreviousContactID:                  strPtr(c.prevID),
		References:                         []struct{}{},
		ScheduledTimestamp:                 ctrTime(c.scheduled),
		TransferCompletedTimestamp:         ctrTime(c.transferAt),
	}
	for _, kv := range c.attrs {
		r.Attributes[kv[0]] = kv[1]
	}
	for _, kv := range extra {
		r.Attributes[kv[0]] = kv[1]
	}
	if c.customerAddr != "" {
		r.CustomerEndpoint = &ctrEndpoint{Address: c.customerAddr, Type: "TELEPHONE_NUMBER"}
		r.SystemEndpoint = &ctrEndpoint{Address: c.systemAddr, Type: "TELEPHONE_NUMBER"}
	}
	if c.q != nil && (c.enqueue > 0 || c.method == methodOutbound) {
		q := &ctrQueue{ARN: c.q.arn, Name: c.q.name, EnqueueTimestamp: ctrTime(c.enqueue), DequeueTimestamp: ctrTime(c.dequeue)}
		if c.enqueue > 0 && c.dequeue > 0 {
			q.Duration = seconds(c.dequeue - c.enqueue)
		}
		r.Queue = q
	}
	if c.connected > 0 && c.agent != nil {
		r.Agent = ctrAgentOf(c)
		if c.ch == chVoice {
			s.addRecording(&r, c)
		}
	}
	return r
}

// ctrAgentOf is the Agent section of connected contact c: the agent, its
// routing profile and hierarchy group when the contact connected.
func ctrAgentOf(c *contact) *ctrAgent {
	a := c.agent
	rp := c.rpAtConnect
	g := c.groupAtConnect
	ag := &ctrAgent{
		ARN:                            a.arn,
		AgentInteractionDuration:       seconds(c.disconnect - c.connected - c.holdMs),
		ConnectedToAgentTimestamp:      ctrTime(c.connected),
		CustomerHoldDuration:           seconds(c.holdMs),
		LongestHoldDuration:            seconds(c.longestHoldMs),
		NumberOfHolds:                  c.holds,
		RoutingProfile:                 &ctrNamedObject{ARN: rp.arn, Name: rp.name},
		Username:                       a.username,
		AfterContactWorkStartTimestamp: ctrTime(c.acwStart),
		AfterContactWorkEndTimestamp:   ctrTime(c.acwEnd),
	}
	if c.acwEnd > 0 {
		d := seconds(c.acwEnd - c.acwStart)
		ag.AfterContactWorkDuration = &d
	}
	h := &ctrHierarchy{}
	levels := []**ctrGroup{&h.Level1, &h.Level2, &h.Level3, &h.Level4, &h.Level5}
	for i, p := range g.path {
		*levels[i] = &ctrGroup{ARN: p.arn, GroupName: p.name}
	}
	ag.HierarchyGroups = h
	return ag
}

// addRecording adds the call recording of connected voice contact c.
func (s *Simulator) addRecording(r *ctrRecord, c *contact) {
	day := msTime(c.connected)
	bucket := s.cfg.InstanceID
	if len(bucket) > 8 {
		bucket = bucket[:8]
	}
	loc := "connect-" + bucket + "/connect/sim/CallRecordings/" + day.Format("2006/01/02/") + c.id + "_" + day.Format("20060102T15:04") + "_UTC.wav"
	r.Recording = &ctrRecording{Location: loc, Status: "AVAILABLE", Type: "AUDIO"}
	r.Recordings = []ctrRecordings{{Location: loc, MediaStreamType: "AUDIO", Status: "AVAILABLE", StorageType: "S3"}}
}

func (s *Simulator) marshalCTR(c *contact, lastUpdate int64, extra [][2]string) []byte {
	b, err := json.Marshal(s.buildCTR(c, lastUpdate, extra))
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return b
}

// emitMaybeTwice emits rec and, with probability rate, a duplicate of it
// up to maxLagMs later (stamped with the time it is sent again).
func (s *Simulator) emitMaybeTwice(rec Record, rate float64, maxLagMs int) {
	s.pending = append(s.pending, rec)
	if rate > 0 && s.delRng.Float64() < rate {
		s.after(int64(s.delRng.IntN(maxLagMs)), func() {
			dup := rec
			dup.Time = msTime(s.now)
			s.pending = append(s.pending, dup)
		})
	}
}

// emitCTR emits the contact record of c, and arranges duplicates and an
// updated re-delivery at the configured rates.
func (s *Simulator) emitCTR(c *contact, lastUpdate int64) {
	data := s.marshalCTR(c, lastUpdate, nil)
	s.emitMaybeTwice(Record{Stream: StreamCTR, PartitionKey: c.id, Time: msTime(s.now), Data: data}, s.cfg.CTRDuplicateRate, 10000)
	if r := s.cfg.CTRRedeliveryRate; r > 0 && s.delRng.Float64() < r {
		lag := int64(60000 + s.delRng.IntN(29*60000))
		score := strconv.Itoa(1 + s.delRng.IntN(5))
		s.after(lag, func() {
			data := s.marshalCTR(c, s.now, [][2]string{{"SurveyScore", score}})
			s.pending = append(s.pending, Record{Stream: StreamCTR, PartitionKey: c.id, Time: msTime(s.now), Data: data})
		})
	}
}
