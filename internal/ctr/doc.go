// Package ctr decodes Amazon Connect contact records (contact trace
// records, CTRs) into connectreporting.ContactRecord.
//
// # Source
//
// With contact record streaming enabled, Connect puts one JSON document per
// contact on a Kinesis data stream (or a Firehose delivery stream, which
// writes them to S3 concatenated), at least once: a record is delivered
// again when the contact changes (after contact work ends, attributes are
// updated), and the version with the newest LastUpdateTimestamp is the one
// to keep, by ContactId. The data model is the Amazon Connect Administrator
// Guide's "Contact records data model" (ContactTraceRecord, Agent,
// QueueInfo, Endpoint, ...). testdata/ holds one fixture per shape written
// from that page: voice inbound, outbound, transfer (to an agent and to an
// external number), callback, abandoned in queue, ended in the flow, chat,
// task, expired task.
//
// # Fields
//
//	ContactRecord field                 record field
//	ContactID                           ContactId (required)
//	Initial/Previous/Next/RelatedContactID InitialContactId, PreviousContactId, NextContactId, RelatedContactId
//	AWSAccountID, InstanceARN           AWSAccountId, InstanceARN
//	Channel                             Channel (VOICE, CHAT, TASK, EMAIL; TASKS folded to TASK)
//	InitiationMethod                    InitiationMethod
//	InitiationTimestamp ...             InitiationTimestamp, ConnectedToSystemTimestamp,
//	                                    DisconnectTimestamp, LastUpdateTimestamp, ScheduledTimestamp
//	DisconnectReason                    DisconnectReason
//	QueueARN/ID/Name                    Queue.ARN (ID: last segment), Queue.Name
//	Enqueue/DequeueTimestamp            Queue.EnqueueTimestamp, Queue.DequeueTimestamp
//	QueueDurationSeconds                Queue.Duration
//	AgentARN/ID, AgentUsername          Agent.ARN (ID: last segment), Agent.Username
//	AgentRoutingProfileID/Name          Agent.RoutingProfile.ARN (last segment), .Name
//	ConnectedToAgentTimestamp           Agent.ConnectedToAgentTimestamp
//	AgentInteractionDurationSeconds     Agent.AgentInteractionDuration
//	CustomerHoldDurationSeconds         Agent.CustomerHoldDuration
//	LongestHoldDurationSeconds          Agent.LongestHoldDuration
//	AfterContactWorkDurationSeconds     Agent.AfterContactWorkDuration
//	AfterContactWorkStart/EndTimestamp  Agent.AfterContactWorkStartTimestamp, ...EndTimestamp
//	NumberOfHolds                       Agent.NumberOfHolds
//	AgentConnectionAttempts             AgentConnectionAttempts
//	CustomerEndpoint(Type)              CustomerEndpoint.Address, .Type
//	SystemEndpoint(Type)                SystemEndpoint.Address, .Type
//	TransferredToEndpoint               TransferredToEndpoint.Address
//	TransferCompletedTimestamp          TransferCompletedTimestamp
//	Attributes                          Attributes (string values as they are, others as JSON text)
//	Raw                                 the record, compacted
//
// Agent and Queue are null for contacts that never reached an agent or a
// queue; their fields are then empty, zero or nil. Recording(s),
// MediaStreams, References, ContactDetails, VoiceIdResult, HierarchyGroups
// and every field added to the model later stay in Raw.
//
// # Normalisation
//
// Durations are whole seconds in CTRs; floats (and numbers in strings) are
// accepted and rounded. Timestamps are accepted with or without fractional
// seconds and with Z or any offset, and stored in UTC. Ids are the last
// segment of their ARN.
//
// # Errors
//
// Every error is a *connectreporting.DecodeError naming the field
// (errors.Is(err, connectreporting.ErrMalformed)): invalid JSON, a missing
// ContactId, a value of the wrong JSON type, an unreadable timestamp or
// duration. An agent event handed to Decode also matches
// connectreporting.ErrWrongKind.
package ctr
