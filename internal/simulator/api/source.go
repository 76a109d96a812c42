// Package api serves the Amazon Connect REST API, wire-compatibly, for the
// operations connect-reporting calls, from a Source: the simulated contact
// centre of package simulator, or any other implementation (tests use small
// static ones). Any SigV4-signed request is accepted.
package api

import (
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Source is what the API server reads. Every method is safe for concurrent
// use and answers from the state at the moment of the call.
type Source interface {
	// InstanceID is the id of the simulated Connect instance; requests for
	// any other instance id get ResourceNotFoundException.
	InstanceID() string
	// Region and AccountID make the ARNs the API returns.
	Region() string
	AccountID() string
	// Now is the simulated clock.
	Now() time.Time

	Users() []connectreporting.User
	HierarchyLevels() []connectreporting.HierarchyLevel
	HierarchyGroups() []connectreporting.HierarchyGroup
	RoutingProfiles() []connectreporting.RoutingProfile
	RoutingProfileQueues() []connectreporting.RoutingProfileQueue
	Queues() []connectreporting.Queue
	AgentStatuses() []connectreporting.AgentStatus

	// CurrentQueueMetrics is one snapshot per queue and channel at Now():
	// the values GetCurrentMetricData reports (OldestContactAgeSeconds in
	// seconds; the API converts to what the wire format needs).
	CurrentQueueMetrics() []connectreporting.QueueSnapshot
	// CurrentUserData is one entry per logged-in agent (GetCurrentUserData).
	CurrentUserData() []UserData
	// ContactFacts returns every contact whose InitiationTimestamp falls in
	// [start, end), with what happened to it so far; the API aggregates them
	// into GetMetricData / GetMetricDataV2 values.
	ContactFacts(start, end time.Time) []ContactFact
}

// UserFinder is optionally implemented by a Source that finds one user
// without copying every user, so that DescribeUser stays cheap on a source
// of 10,000 users.
type UserFinder interface {
	User(id string) (connectreporting.User, bool)
}

// UserData is what GetCurrentUserData reports of one logged-in agent.
type UserData struct {
	UserID           string
	RoutingProfileID string
	HierarchyGroupID string // "" when none

	StatusName  string
	StatusARN   string
	StatusStart time.Time
	// NextStatus is the status the agent moves to after the current contact ("" when none).
	NextStatus string

	// Slots per channel (VOICE, CHAT, TASK).
	MaxSlots       map[string]int
	ActiveSlots    map[string]int
	AvailableSlots map[string]int

	// Contacts the agent holds; QueueID/QueueARN set, Name fields may be empty.
	Contacts []connectreporting.AgentContact
}

// ContactFact is the ground truth of one contact, as far as it has got.
// Zero times mean "has not happened (yet)".
type ContactFact struct {
	ContactID        string
	InitialContactID string
	Channel          string // VOICE, CHAT, TASK
	InitiationMethod string // INBOUND, OUTBOUND, TRANSFER, CALLBACK, API, QUEUE_TRANSFER
	QueueID          string // "" when the contact never queued (e.g. outbound)
	AgentID          string // "" when no agent connected

	Initiation       time.Time
	Enqueue          time.Time
	Dequeue          time.Time // left the queue: answered, abandoned or transferred out
	ConnectedToAgent time.Time
	AgentDisconnect  time.Time // agent's part of the contact ended (ACW starts)
	ACWEnd           time.Time
	Disconnect       time.Time // contact ended

	Abandoned   bool // left the queue without reaching an agent
	HoldSeconds float64
	Holds       int
	// TransferredOut: the agent transferred the contact to another queue or agent.
	TransferredOut bool
}
