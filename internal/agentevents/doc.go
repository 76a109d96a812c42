// Package agentevents decodes records of the Amazon Connect agent event
// stream into connectreporting.AgentEvent.
//
// # Source
//
// When agent event streaming is enabled on a Connect instance, Connect puts
// one JSON document per event on a Kinesis data stream (partition key: the
// agent ARN): LOGIN, LOGOUT, STATE_CHANGE (status, contact state or
// configuration changed) and HEART_BEAT (every 120 s without other events,
// for up to an hour after logout). The data model is the Amazon Connect
// Administrator Guide's "Agent event streams data model"; its "Sample agent
// event stream" page shows a whole record. testdata/ holds one fixture per
// shape, written from those pages.
//
// # Fields
//
//	AgentEvent field        record field
//	EventID                 EventId (required)
//	EventType               EventType (required; LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT, others kept)
//	EventTimestamp          EventTimestamp (required)
//	Version, AWSAccountID   Version, AWSAccountId
//	InstanceARN, AgentARN   InstanceARN, AgentARN
//	AgentID                 last segment of AgentARN
//	StatusARN/Name/Type     CurrentAgentSnapshot.AgentStatus.ARN/Name/Type
//	StatusStartTimestamp    CurrentAgentSnapshot.AgentStatus.StartTimestamp
//	PreviousStatusName      PreviousAgentSnapshot.AgentStatus.Name
//	Username, First/LastName Configuration.Username/FirstName/LastName
//	RoutingProfileARN/ID/Name Configuration.RoutingProfile.ARN (ID: last segment)/Name
//	HierarchyGroups[0..4]   Configuration.AgentHierarchyGroups.Level1..Level5 {ARN, Name}
//	Contacts, ContactCount  CurrentAgentSnapshot.Contacts (ContactId, InitialContactId,
//	                        Channel, InitiationMethod, State, StateStartTimestamp,
//	                        ConnectedToAgentTimestamp, QueueTimestamp, Queue {ARN, Name})
//	Raw                     the record, compacted
//
// Configuration comes from CurrentAgentSnapshot, or from
// PreviousAgentSnapshot when the current one is null (LOGOUT and late
// HEART_BEAT events may carry null snapshots). Everything the type does not
// model (NextAgentStatus, Concurrency, InboundQueues, DefaultOutboundQueue,
// Proficiencies, ...) stays in Raw.
//
// # Normalisation
//
// Ids are the last segment of their ARN (connectreporting.IDFromARN).
// Channels are upper-cased and TASKS becomes TASK. Timestamps are accepted
// with or without fractional seconds, with Z or any offset (and in the
// documentation's 2019-08-13T20:52:30:704Z form) and stored in UTC. A null
// queue name (agent queues have none) is an empty string. Raw is the record
// compacted to one line of valid UTF-8 JSON.
//
// # Errors
//
// Every error is a *connectreporting.DecodeError naming the field, so
// errors.Is(err, connectreporting.ErrMalformed) holds: invalid JSON, a
// missing or blank EventId, EventType or EventTimestamp, a value of the
// wrong JSON type, an unreadable timestamp, and any value the value rules
// refuse (AgentEvent.Validate: a zero or out-of-range timestamp, an
// over-long id or text; wire.Clean: a number no jsonb can hold). A contact record handed to Decode also
// matches connectreporting.ErrWrongKind.
package agentevents
