package connectreporting

import (
	"encoding/json"
	"time"
)

// Agent event types of the Amazon Connect agent event stream.
const (
	AgentEventLogin       = "LOGIN"
	AgentEventLogout      = "LOGOUT"
	AgentEventStateChange = "STATE_CHANGE"
	AgentEventHeartBeat   = "HEART_BEAT"
)

// AgentEvent is one record of the agent event stream, flattened to the
// columns reports need. Raw keeps the record exactly as it arrived, so fields
// this type does not model are never lost. Zero times and empty strings are
// stored as NULL.
type AgentEvent struct {
	EventID        string
	EventType      string
	EventTimestamp time.Time
	Version        string
	AWSAccountID   string
	InstanceARN    string

	AgentARN  string
	AgentID   string // IDFromARN(AgentARN)
	Username  string
	FirstName string
	LastName  string

	// Current agent status (CurrentAgentSnapshot.AgentStatus).
	StatusARN            string
	StatusName           string
	StatusType           string // ROUTABLE, CUSTOM, OFFLINE
	StatusStartTimestamp time.Time

	// Status before the event (PreviousAgentSnapshot.AgentStatus), when present.
	PreviousStatusName string

	RoutingProfileARN  string
	RoutingProfileID   string
	RoutingProfileName string

	// HierarchyGroups holds Level1..Level5 of the agent's hierarchy, empty
	// where the level is not set.
	HierarchyGroups [5]HierarchyRef

	Contacts     []AgentContact
	ContactCount int // len(Contacts) of the current snapshot

	Raw json.RawMessage
}

// HierarchyRef names one hierarchy group as events carry it.
type HierarchyRef struct {
	ARN  string
	ID   string
	Name string
}

// AgentContact is one contact in an agent snapshot (CurrentAgentSnapshot.Contacts).
type AgentContact struct {
	ContactID                 string
	InitialContactID          string
	Channel                   string
	InitiationMethod          string
	State                     string // INCOMING, PENDING, CONNECTING, CONNECTED, CONNECTED_ONHOLD, MISSED, ERROR, ENDED, REJECTED
	StateStartTimestamp       time.Time
	ConnectedToAgentTimestamp time.Time
	QueueTimestamp            time.Time
	QueueARN                  string
	QueueID                   string
	QueueName                 string
}

// AgentState is the current state of one agent, moved only forward in event
// time by the store.
type AgentState struct {
	AgentID              string
	AgentARN             string
	Username             string
	StatusName           string
	StatusType           string
	StatusStartTimestamp time.Time
	RoutingProfileID     string
	ContactCount         int
	LastEventTimestamp   time.Time
	LastEventType        string
	LastEventID          string
}

// AgentStatusInterval is one span of time an agent spent in one status.
// End is zero while the interval is still open.
type AgentStatusInterval struct {
	AgentID         string
	Start           time.Time
	End             time.Time
	StatusName      string
	StatusType      string
	DurationSeconds float64
}
