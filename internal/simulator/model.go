package simulator

import (
	"math"
	"time"
)

// Contact states of the agent event stream.
const (
	stateIncoming   = "INCOMING"
	stateConnecting = "CONNECTING"
	stateConnected  = "CONNECTED"
	stateOnHold     = "CONNECTED_ONHOLD"
	stateMissed     = "MISSED"
	stateEnded      = "ENDED"
)

// Initiation methods.
const (
	methodInbound  = "INBOUND"
	methodOutbound = "OUTBOUND"
	methodTransfer = "TRANSFER"
	methodCallback = "CALLBACK"
	methodAPI      = "API"
)

type queue struct {
	idx           int
	id, arn, name string
	waiting       [3][]*contact // not yet offered, in enqueue order
	inQueue       [3]int        // waiting + ringing (offered, not yet connected)
	scheduled     [3]int        // callbacks waiting for their scheduled time
	served        [3]bool
	delays        [3][]int64 // distinct positive routing delays (ms)
	peakPerHour   [3]float64
}

type rpQueue struct {
	ok       bool
	priority int
	delay    int64 // ms
}

type routingProfile struct {
	idx           int
	id, arn, name string
	conc          [3]int
	serve         [][3]rpQueue // by queue idx, channel
	outbound      *queue
}

type statusDef struct {
	id, arn, name, typ string
}

type group struct {
	level         int
	id, arn, name string
	path          []*group
}

type statusReq struct {
	st     *statusDef
	dur    int64 // ms; > 0: return to Available after this long
	logout bool
	at     int64 // when requested (NextAgentStatus.EnqueuedTimestamp)
}

type agent struct {
	idx                  int
	id, arn, username    string
	first, last          string
	rp                   *routingProfile
	group                *group
	shiftStart           time.Duration
	loggedIn             bool
	session              uint64
	status               *statusDef
	statusStart          int64
	statusGen            uint64
	next                 *statusReq
	legs                 []*leg
	missed               bool
	lastFree             int64
	evGen                uint64
	prevSnap             []byte
	cfgPrefix, cfgSuffix []byte
	spanStart            int64
	spanStatus           *statusDef
	shiftEndAt           int64
	nextDay              time.Time
}

// leg is a contact as one agent sees it (a contact missed by one agent and
// offered to another has two legs).
type leg struct {
	c          *contact
	state      string
	stateStart int64
}

type contact struct {
	id, initialID, prevID, nextID string
	ch                            int
	method                        string
	q                             *queue
	agent                         *agent
	leg                           *leg
	seq                           uint64

	initiation, connectedToSystem, enqueue, dequeue int64
	connected, acwStart, acwEnd, disconnect         int64
	scheduled, transferAt                           int64

	offered, waiting, abandoned, transferredOut, done bool
	abandonGen                                        uint64
	patienceAt                                        int64
	attempts                                          int
	holds                                             int
	holdMs, longestHoldMs, holdStart                  int64
	disconnectReason                                  string
	customerAddr, systemAddr                          string
	attrs                                             [][2]string
	rpAtConnect                                       *routingProfile
	groupAtConnect                                    *group
}

type arrivalStream struct {
	q    *queue
	ch   int
	peak float64 // per hour
}

// --- random helpers ----------------------------------------------------------

func (s *Simulator) uniformMs(loSec, hiSec float64) int64 {
	return int64((loSec + s.rng.Float64()*(hiSec-loSec)) * 1000)
}

func (s *Simulator) expMs(meanSec float64) int64 {
	return int64(s.rng.ExpFloat64() * meanSec * 1000)
}

// lognormalMs draws a duration with the given mean and a moderate spread.
func (s *Simulator) lognormalMs(meanSec float64) int64 {
	const sigma = 0.6
	mu := math.Log(meanSec) - sigma*sigma/2
	return int64(math.Exp(mu+sigma*s.rng.NormFloat64()) * 1000)
}

// --- start -------------------------------------------------------------------

func (s *Simulator) startModel() {
	s.deriveArrivalRates()
	for _, q := range s.queues {
		for ci := range channels {
			if q.served[ci] && q.peakPerHour[ci] > 0 {
				st := &arrivalStream{q: q, ch: ci, peak: q.peakPerHour[ci]}
				s.arrivals = append(s.arrivals, st)
				s.nextArrival(st)
			}
		}
	}
	startDay := s.localMidnight(s.now).AddDate(0, 0, -1)
	for _, a := range s.agents {
		s.scheduleShift(a, startDay)
	}
}

// deriveArrivalRates fills the peak arrival rate of every served (queue,
// channel) from the configuration or from the staffing and Traffic.Load.
func (s *Simulator) deriveArrivalRates() {
	t := s.cfg.Traffic
	var servedQueues [3]int
	for _, q := range s.queues {
		for ci := range channels {
			if q.served[ci] {
				servedQueues[ci]++
			}
		}
	}
	effConc := [3]float64{1, 2, 1}
	peakStaff := 0.6 * float64(len(s.agents))
	for i, q := range s.queues {
		qc := s.cfg.Queues[i]
		for ci, ch := range channels {
			if !q.served[ci] {
				continue
			}
			if qc.PeakPerHour != nil {
				q.peakPerHour[ci] = qc.PeakPerHour[ch]
				continue
			}
			aht := t.TalkSeconds[ch] + t.ACWSeconds[ch] + 8
			if ci == chVoice {
				aht += t.HoldRate * 1.3 * 50
			}
			rate := t.Load * peakStaff * t.ChannelShare[ch] * effConc[ci] * 3600 / aht
			q.peakPerHour[ci] = rate / float64(servedQueues[ci])
		}
	}
}

func (s *Simulator) localMidnight(ms int64) time.Time {
	l := msTime(ms).In(s.cfg.Location)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, s.cfg.Location)
}

// nextArrival schedules the next arrival of a piecewise-constant (hourly)
// Poisson process.
func (s *Simulator) nextArrival(st *arrivalStream) {
	l := msTime(s.now).In(s.cfg.Location)
	hourEnd := l.Truncate(time.Hour).Add(time.Hour).UnixMilli()
	rate := st.peak * s.cfg.Traffic.HourlyProfile[l.Hour()] // per hour
	if rate <= 0 {
		s.at(hourEnd, func() { s.nextArrival(st) })
		return
	}
	dt := int64(s.rng.ExpFloat64() / rate * 3600 * 1000)
	if s.now+dt >= hourEnd {
		s.at(hourEnd, func() { s.nextArrival(st) })
		return
	}
	s.after(dt, func() {
		s.arrive(st.q, st.ch)
		s.nextArrival(st)
	})
}

// --- shifts and statuses ------------------------------------------------------

func (s *Simulator) scheduleShift(a *agent, day time.Time) {
	sh := s.cfg.Shift
	start := day.Add(a.shiftStart).UnixMilli() + s.uniformMs(-600, 600)
	end := start + sh.Length.Milliseconds() + s.uniformMs(-300, 300)
	avail := s.uniformMs(10, 90)
	b1 := start + 2*3600*1000 + s.uniformMs(-900, 900)
	lunch := start + 4*3600*1000 + s.uniformMs(-1200, 1200)
	training := start + 5*3600*1000 + 15*60*1000
	hasTraining := s.rng.Float64() < sh.TrainingRate
	b2 := start + 6*3600*1000 + 30*60*1000 + s.uniformMs(-900, 900)
	next := day.AddDate(0, 0, 1)
	if end <= s.now {
		s.scheduleShift(a, next)
		return
	}
	login := start
	if login < s.now {
		login = s.now
	}
	a.shiftEndAt = end
	s.at(login, func() {
		s.login(a)
		s.after(avail, func() { s.requestStatus(a, statusReq{st: s.available}) })
	})
	plan := func(t int64, name string, dur time.Duration) {
		st := s.custom[name]
		if st == nil || t < login+avail {
			return
		}
		s.at(t, func() { s.requestStatus(a, statusReq{st: st, dur: dur.Milliseconds()}) })
	}
	plan(b1, "Break", sh.BreakLength)
	plan(lunch, "Lunch", sh.LunchLength)
	if hasTraining {
		plan(training, "Training", time.Hour)
	}
	plan(b2, "Break", sh.BreakLength)
	s.at(end, func() {
		s.requestStatus(a, statusReq{st: s.offline, logout: true})
	})
	// The next day's shift is planned when this one's logout happens.
	a.nextDay = next
}

func (s *Simulator) login(a *agent) {
	if a.loggedIn {
		return
	}
	a.loggedIn = true
	a.session++
	a.status = s.offline
	a.statusStart = s.now
	a.statusGen++
	a.next = nil
	a.lastFree = s.now
	a.spanStart, a.spanStatus = s.now, a.status
	s.emitAgentEvent(a, "LOGIN")
	s.scheduleOutbound(a, a.session)
}

func (s *Simulator) logout(a *agent) {
	if !a.loggedIn {
		return
	}
	if len(a.legs) > 0 || a.status != s.offline {
		s.after(30*1000, func() { s.logout(a) })
		return
	}
	s.closeSpan(a)
	a.loggedIn = false
	a.session++
	s.emitAgentEvent(a, "LOGOUT")
	a.prevSnap = nil
	s.scheduleShift(a, a.nextDay)
}

func (s *Simulator) requestStatus(a *agent, r statusReq) {
	if !a.loggedIn {
		return
	}
	if a.next != nil && a.next.logout {
		return // logging out; nothing else applies
	}
	r.at = s.now
	if len(a.legs) > 0 || a.missed {
		if r.st.typ == "ROUTABLE" {
			if a.next != nil {
				a.next = nil
				s.emitAgentEvent(a, "STATE_CHANGE")
			}
			return
		}
		a.next = &r
		s.emitAgentEvent(a, "STATE_CHANGE")
		return
	}
	s.applyStatus(a, r)
}

func (s *Simulator) applyStatus(a *agent, r statusReq) {
	hadNext := a.next != nil
	a.next = nil
	if a.status != r.st {
		s.closeSpan(a)
		a.status = r.st
		a.statusStart = s.now
		a.statusGen++
		a.spanStart, a.spanStatus = s.now, r.st
		if r.st.typ == "ROUTABLE" {
			a.lastFree = s.now
		}
		s.emitAgentEvent(a, "STATE_CHANGE")
	} else if hadNext {
		s.emitAgentEvent(a, "STATE_CHANGE")
	}
	if r.dur > 0 {
		gen := a.statusGen
		s.after(r.dur, func() {
			if a.loggedIn && a.statusGen == gen {
				s.requestStatus(a, statusReq{st: s.available})
			}
		})
	}
	if r.logout {
		s.after(s.uniformMs(5, 60), func() { s.logout(a) })
	}
	if a.status.typ == "ROUTABLE" {
		s.tryRouteAgent(a)
	}
}

// agentFree is called whenever an agent loses a contact.
func (s *Simulator) agentFree(a *agent) {
	if len(a.legs) == 0 && !a.missed && a.next != nil {
		s.applyStatus(a, *a.next)
		return
	}
	s.tryRouteAgent(a)
}

func (s *Simulator) scheduleOutbound(a *agent, session uint64) {
	rate := s.cfg.Traffic.OutboundPerAgentHour
	if rate <= 0 {
		return
	}
	d := int64(s.rng.ExpFloat64() / rate * 3600 * 1000)
	s.after(d, func() {
		if !a.loggedIn || a.session != session {
			return
		}
		if len(a.legs) == 0 && s.canTake(a, chVoice) {
			s.outbound(a)
		}
		s.scheduleOutbound(a, session)
	})
}

// --- contacts ----------------------------------------------------------------

func (s *Simulator) newContact(ch int, method string) *contact {
	s.seq++
	c := &contact{id: randUUID(s.idRng), ch: ch, method: method, seq: s.seq}
	c.initiation = s.now
	c.connectedToSystem = s.now
	if ch == chVoice {
		c.customerAddr = "+1555" + digits(s.rng.IntN(10000000), 7)
		c.systemAddr = "+1800555" + digits(1000+s.rng.IntN(10)*111, 4)
	}
	c.attrs = [][2]string{
		{"CustomerTier", tiers[s.rng.IntN(len(tiers))]},
		{"Intent", intents[s.rng.IntN(len(intents))]},
		{"Language", langs[s.rng.IntN(len(langs))]},
	}
	s.contacts = append(s.contacts, c)
	return c
}

var (
	tiers   = []string{"Gold", "Silver", "Bronze", "Standard"}
	intents = []string{"Billing", "Order", "Technical", "Account", "Cancel", "Other"}
	langs   = []string{"en-US", "en-US", "en-US", "es-US", "fr-CA"}
)

func digits(n, width int) string {
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

func (s *Simulator) arrive(q *queue, ch int) {
	method := methodInbound
	if ch != chVoice {
		method = methodAPI
	}
	c := s.newContact(ch, method)
	var ivr int64
	switch ch {
	case chVoice:
		ivr = s.uniformMs(5, 30)
	case chChat:
		ivr = s.uniformMs(2, 8)
	default:
		ivr = s.uniformMs(0.5, 2)
	}
	if ch == chVoice && s.rng.Float64() < s.cfg.Traffic.CallbackRate {
		// The caller asks for a callback in the IVR: this contact ends in
		// the flow and a CALLBACK contact is queued.
		delay := int64(0)
		if s.rng.Float64() < 0.5 {
			delay = s.uniformMs(5*60, 60*60)
		}
		s.after(ivr, func() {
			c.disconnect = s.now
			c.disconnectReason = "CONTACT_FLOW_DISCONNECT"
			cb := s.newContact(chVoice, methodCallback)
			cb.prevID = c.id
			cb.customerAddr = c.customerAddr
			cb.systemAddr = c.systemAddr
			c.nextID = cb.id
			s.finishContact(c)
			if delay == 0 {
				s.enqueue(cb, q)
				return
			}
			cb.scheduled = s.now + delay
			cb.q = q
			q.scheduled[chVoice]++
			s.at(cb.scheduled, func() {
				q.scheduled[chVoice]--
				s.enqueue(cb, q)
			})
		})
		return
	}
	s.after(ivr, func() { s.enqueue(c, q) })
}

func (s *Simulator) enqueue(c *contact, q *queue) {
	c.q = q
	c.enqueue = s.now
	q.inQueue[c.ch]++
	s.truth.offered(s, c)
	c.waiting = true
	q.waiting[c.ch] = append(q.waiting[c.ch], c)
	if p := s.cfg.Traffic.PatienceSeconds[channels[c.ch]]; p > 0 && c.method != methodCallback {
		d := s.expMs(p)
		if d < 3000 {
			d = 3000
		}
		c.patienceAt = s.now + d
		s.armAbandon(c)
	}
	for _, d := range q.delays[c.ch] {
		s.after(d, func() {
			if c.waiting {
				s.tryRouteContact(c)
			}
		})
	}
	s.tryRouteContact(c)
}

func (s *Simulator) armAbandon(c *contact) {
	c.abandonGen++
	gen := c.abandonGen
	s.at(c.patienceAt, func() {
		if c.abandonGen != gen || !c.waiting {
			return
		}
		s.removeWaiting(c)
		c.abandoned = true
		c.dequeue = s.now
		c.disconnect = s.now
		c.disconnectReason = "CUSTOMER_DISCONNECT"
		c.q.inQueue[c.ch]--
		s.truth.abandoned(s, c)
		s.finishContact(c)
	})
}

func (s *Simulator) removeWaiting(c *contact) {
	w := c.q.waiting[c.ch]
	for i, x := range w {
		if x == c {
			copy(w[i:], w[i+1:])
			w[len(w)-1] = nil
			c.q.waiting[c.ch] = w[:len(w)-1]
			break
		}
	}
	c.waiting = false
}

// insertWaiting puts a contact back in its queue in enqueue order.
func (s *Simulator) insertWaiting(c *contact) {
	w := c.q.waiting[c.ch]
	i := len(w)
	for i > 0 && (w[i-1].enqueue > c.enqueue || (w[i-1].enqueue == c.enqueue && w[i-1].seq > c.seq)) {
		i--
	}
	w = append(w, nil)
	copy(w[i+1:], w[i:])
	w[i] = c
	c.q.waiting[c.ch] = w
	c.waiting = true
}

// canTake: the agent can be offered one more contact of channel ch. An agent
// works one channel at a time, up to its routing profile's concurrency.
func (s *Simulator) canTake(a *agent, ch int) bool {
	if !a.loggedIn || a.status.typ != "ROUTABLE" || a.next != nil || a.missed || a.rp.conc[ch] == 0 {
		return false
	}
	n := 0
	for _, l := range a.legs {
		if l.c.ch != ch {
			return false
		}
		n++
	}
	return n < a.rp.conc[ch]
}

func (s *Simulator) tryRouteContact(c *contact) {
	if !c.waiting {
		return
	}
	var best *agent
	bestLegs := 0
	for _, a := range s.agents {
		sv := a.rp.serve[c.q.idx][c.ch]
		if !sv.ok || s.now-c.enqueue < sv.delay || !s.canTake(a, c.ch) {
			continue
		}
		n := len(a.legs)
		if best == nil || n < bestLegs || (n == bestLegs && a.lastFree < best.lastFree) {
			best, bestLegs = a, n
		}
	}
	if best != nil {
		s.offer(c, best)
	}
}

func (s *Simulator) tryRouteAgent(a *agent) {
	for {
		var best *contact
		bestPrio := 0
		for ci := range channels {
			if !s.canTake(a, ci) {
				continue
			}
			for qi, q := range s.queues {
				sv := a.rp.serve[qi][ci]
				if !sv.ok || len(q.waiting[ci]) == 0 {
					continue
				}
				c := q.waiting[ci][0]
				if s.now-c.enqueue < sv.delay {
					continue
				}
				if best == nil || sv.priority < bestPrio || (sv.priority == bestPrio && (c.enqueue < best.enqueue || (c.enqueue == best.enqueue && c.seq < best.seq))) {
					best, bestPrio = c, sv.priority
				}
			}
		}
		if best == nil {
			return
		}
		s.offer(best, a)
	}
}

func (s *Simulator) offer(c *contact, a *agent) {
	s.removeWaiting(c)
	c.offered = true
	c.agent = a
	c.attempts++
	st := stateConnecting
	if c.method == methodCallback {
		st = stateIncoming
	}
	l := &leg{c: c, state: st, stateStart: s.now}
	c.leg = l
	a.legs = append(a.legs, l)
	s.emitAgentEvent(a, "STATE_CHANGE")
	switch {
	case c.method == methodCallback:
		s.after(s.uniformMs(2, 6), func() {
			l.state = stateConnecting
			l.stateStart = s.now
			s.emitAgentEvent(a, "STATE_CHANGE")
			s.after(s.uniformMs(5, 15), func() { s.connect(c) })
		})
	case s.rng.Float64() < s.cfg.Traffic.MissRate:
		s.after(20*1000, func() { s.miss(c) })
	default:
		ring := s.uniformMs(1, 4)
		if c.ch == chVoice {
			ring = s.uniformMs(2, 8)
		}
		s.after(ring, func() { s.connect(c) })
	}
}

func (s *Simulator) miss(c *contact) {
	a, l := c.agent, c.leg
	l.state = stateMissed
	l.stateStart = s.now
	a.missed = true
	c.agent, c.leg, c.offered = nil, nil, false
	s.emitAgentEvent(a, "STATE_CHANGE")
	s.insertWaiting(c)
	if c.patienceAt > 0 {
		if min := s.now + s.uniformMs(10, 30); c.patienceAt < min {
			c.patienceAt = min
		}
		s.armAbandon(c)
	}
	s.tryRouteContact(c)
	s.after(s.uniformMs(5, 20), func() {
		a.removeLeg(l)
		a.missed = false
		if len(a.legs) == 0 {
			a.lastFree = s.now
		}
		s.emitAgentEvent(a, "STATE_CHANGE")
		s.agentFree(a)
	})
}

func (a *agent) removeLeg(l *leg) {
	for i, x := range a.legs {
		if x == l {
			copy(a.legs[i:], a.legs[i+1:])
			a.legs[len(a.legs)-1] = nil
			a.legs = a.legs[:len(a.legs)-1]
			return
		}
	}
}

func (s *Simulator) connect(c *contact) {
	a, l := c.agent, c.leg
	l.state = stateConnected
	l.stateStart = s.now
	c.offered = false
	c.connected = s.now
	c.rpAtConnect = a.rp
	c.groupAtConnect = a.group
	if c.enqueue > 0 {
		c.dequeue = s.now
		c.q.inQueue[c.ch]--
		s.truth.answered(s, c)
	}
	s.emitAgentEvent(a, "STATE_CHANGE")
	tr := s.cfg.Traffic
	talk := s.lognormalMs(tr.TalkSeconds[channels[c.ch]])
	if talk < 5000 {
		talk = 5000
	}
	nh := 0
	if c.ch == chVoice && s.rng.Float64() < tr.HoldRate {
		nh = 1
		if s.rng.Float64() < 0.3 {
			nh = 2
		}
	}
	// Split the talk time into nh+1 segments around the holds.
	t := s.now
	remaining := talk
	for k := 0; k < nh; k++ {
		seg := int64(s.rng.Float64() * float64(remaining) / float64(nh-k+1))
		remaining -= seg
		t += seg
		hold := s.expMs(45) + 5000
		s.at(t, func() {
			l.state = stateOnHold
			l.stateStart = s.now
			c.holds++
			c.holdStart = s.now
			s.emitAgentEvent(a, "STATE_CHANGE")
		})
		t += hold
		s.at(t, func() {
			d := s.now - c.holdStart
			c.holdMs += d
			if d > c.longestHoldMs {
				c.longestHoldMs = d
			}
			l.state = stateConnected
			l.stateStart = s.now
			s.emitAgentEvent(a, "STATE_CHANGE")
		})
	}
	t += remaining
	s.at(t, func() { s.endTalk(c) })
}

func (s *Simulator) endTalk(c *contact) {
	a, l := c.agent, c.leg
	tr := s.cfg.Traffic
	c.acwStart = s.now
	c.disconnect = s.now
	if c.ch != chTask && c.method != methodOutbound && c.enqueue > 0 && s.rng.Float64() < tr.TransferRate {
		var targets []*queue
		for _, q := range s.queues {
			if q != c.q && q.served[c.ch] {
				targets = append(targets, q)
			}
		}
		if len(targets) > 0 {
			q2 := targets[s.rng.IntN(len(targets))]
			method := methodTransfer
			n := s.newContact(c.ch, method)
			n.prevID = c.id
			n.initialID = c.initialID
			if n.initialID == "" {
				n.initialID = c.id
			}
			n.customerAddr, n.systemAddr = c.customerAddr, c.systemAddr
			n.attrs = c.attrs
			c.nextID = n.id
			c.transferredOut = true
			c.transferAt = s.now
			c.disconnectReason = "AGENT_DISCONNECT"
			s.after(s.uniformMs(2, 5), func() { s.enqueue(n, q2) })
		}
	}
	if c.disconnectReason == "" {
		p := 0.75
		if c.ch == chChat {
			p = 0.6
		} else if c.ch == chTask {
			p = 0
		}
		if s.rng.Float64() < p {
			c.disconnectReason = "CUSTOMER_DISCONNECT"
		} else {
			c.disconnectReason = "AGENT_DISCONNECT"
		}
	}
	l.state = stateEnded
	l.stateStart = s.now
	if c.enqueue > 0 {
		s.truth.handled(s, c)
	}
	s.emitAgentEvent(a, "STATE_CHANGE")
	acw := s.lognormalMs(tr.ACWSeconds[channels[c.ch]])
	if acw < 2000 {
		acw = 2000
	}
	s.after(acw, func() { s.endACW(c) })
}

func (s *Simulator) endACW(c *contact) {
	a := c.agent
	c.acwEnd = s.now
	a.removeLeg(c.leg)
	if len(a.legs) == 0 {
		a.lastFree = s.now
	}
	s.emitAgentEvent(a, "STATE_CHANGE")
	if c.enqueue > 0 {
		s.truth.completed(s, c)
	}
	s.finishContact(c)
	s.agentFree(a)
}

func (s *Simulator) outbound(a *agent) {
	c := s.newContact(chVoice, methodOutbound)
	c.q = a.rp.outbound
	c.agent = a
	c.attempts = 1
	l := &leg{c: c, state: stateConnecting, stateStart: s.now}
	c.leg = l
	c.offered = true
	a.legs = append(a.legs, l)
	s.emitAgentEvent(a, "STATE_CHANGE")
	s.after(s.uniformMs(5, 20), func() { s.connect(c) })
}

// finishContact marks a contact ended and schedules its contact record.
func (s *Simulator) finishContact(c *contact) {
	c.done = true
	lag := int64(1000 + s.delRng.IntN(20000))
	s.after(lag, func() { s.emitCTR(c, s.now) })
}
