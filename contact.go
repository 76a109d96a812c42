package connectreporting

import (
	"encoding/json"
	"time"
)

// ContactRecord is one contact trace record (CTR), flattened to the columns
// reports need. The store keeps the version with the newest
// LastUpdateTimestamp; Raw holds that version exactly as it arrived.
// Zero times, empty strings and nil pointers are stored as NULL.
type ContactRecord struct {
	ContactID         string
	InitialContactID  string
	PreviousContactID string
	NextContactID     string
	RelatedContactID  string
	AWSAccountID      string
	InstanceARN       string

	Channel          string // VOICE, CHAT, TASK, EMAIL (TASKS folded to TASK)
	InitiationMethod string // INBOUND, OUTBOUND, TRANSFER, CALLBACK, API, QUEUE_TRANSFER, DISCONNECT, MONITOR, ...

	InitiationTimestamp        time.Time
	ConnectedToSystemTimestamp time.Time
	DisconnectTimestamp        time.Time
	DisconnectReason           string
	LastUpdateTimestamp        time.Time
	ScheduledTimestamp         time.Time

	QueueARN             string
	QueueID              string
	QueueName            string
	EnqueueTimestamp     time.Time
	DequeueTimestamp     time.Time
	QueueDurationSeconds *int64

	AgentARN                        string
	AgentID                         string
	AgentUsername                   string
	AgentRoutingProfileID           string
	AgentRoutingProfileName         string
	ConnectedToAgentTimestamp       time.Time
	AgentInteractionDurationSeconds *int64
	CustomerHoldDurationSeconds     *int64
	LongestHoldDurationSeconds      *int64
	AfterContactWorkDurationSeconds *int64
	AfterContactWorkStartTimestamp  time.Time
	AfterContactWorkEndTimestamp    time.Time
	NumberOfHolds                   *int64
	AgentConnectionAttempts         *int64

	CustomerEndpoint           string // address of CustomerEndpoint
	CustomerEndpointType       string
	SystemEndpoint             string // address of SystemEndpoint
	SystemEndpointType         string
	TransferredToEndpoint      string
	TransferCompletedTimestamp time.Time

	// Attributes are the contact's user-defined attributes; the store
	// replaces them together with the record.
	Attributes map[string]string

	Raw json.RawMessage
}
