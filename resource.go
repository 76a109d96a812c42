package connectreporting

import "time"

// Configuration entities of a Connect instance. The store keeps their history
// as valid_from / valid_to rows: a changed entity closes its current row and
// opens a new one; an entity no longer listed has its current row closed.

// User is a Connect user (agent).
type User struct {
	ID                        string
	ARN                       string
	Username                  string
	FirstName                 string
	LastName                  string
	Email                     string
	RoutingProfileID          string
	HierarchyGroupID          string
	SecurityProfileIDs        []string
	PhoneType                 string // SOFT_PHONE, DESK_PHONE
	AutoAccept                bool
	AfterContactWorkTimeLimit int
	// LastModified is the service's LastModifiedTime, when the API gives
	// it. The syncer compares it between runs; it is not stored, so it
	// never makes a history row of its own.
	LastModified time.Time
}

// HierarchyGroup is one group of the user hierarchy.
type HierarchyGroup struct {
	ID      string
	ARN     string
	Name    string
	LevelID string // "1".."5"
	// Path holds the ids of the group's ancestors and itself, Level1 first.
	Path         []string
	LastModified time.Time // as User.LastModified
}

// HierarchyLevel is one level of the hierarchy structure (LevelOne..LevelFive).
type HierarchyLevel struct {
	ID    string
	ARN   string
	Name  string
	Level int // 1..5
}

// RoutingProfile is a Connect routing profile.
type RoutingProfile struct {
	ID                     string
	ARN                    string
	Name                   string
	Description            string
	DefaultOutboundQueueID string
	// Concurrency per channel (VOICE, CHAT, TASK, ...).
	Concurrency  map[string]int
	LastModified time.Time // as User.LastModified
}

// RoutingProfileQueue links a routing profile to a queue for one channel.
type RoutingProfileQueue struct {
	RoutingProfileID string
	QueueID          string
	Channel          string
	Priority         int
	Delay            int
}

// Queue is a Connect queue (STANDARD or AGENT).
type Queue struct {
	ID                 string
	ARN                string
	Name               string
	Type               string // STANDARD, AGENT
	Description        string
	Status             string // ENABLED, DISABLED
	MaxContacts        *int
	HoursOfOperationID string
	LastModified       time.Time // as User.LastModified
}

// AgentStatus is a Connect agent status (Available, Offline, custom).
type AgentStatus struct {
	ID           string
	ARN          string
	Name         string
	Type         string // ROUTABLE, CUSTOM, OFFLINE
	State        string // ENABLED, DISABLED
	DisplayOrder int
	LastModified time.Time // as User.LastModified
}

// UserDetail is what DescribeUser gives of a user that SearchUsers does
// not: the email. LastModified is the user's LastModifiedTime when it was
// read, so a later sync describes the user again only when that moved.
type UserDetail struct {
	UserID       string
	Email        string
	LastModified time.Time
	ReadAt       time.Time
}

// Configuration is a full read of an instance's configuration at one time.
// A kind whose slice is nil was not read and is left untouched by the store;
// an empty, non-nil slice means every current row of that kind is deleted.
type Configuration struct {
	ReadAt               time.Time
	Users                []User
	HierarchyGroups      []HierarchyGroup
	HierarchyLevels      []HierarchyLevel
	RoutingProfiles      []RoutingProfile
	RoutingProfileQueues []RoutingProfileQueue
	Queues               []Queue
	AgentStatuses        []AgentStatus
}

// Kinds of configuration entity, as ConfigChanges counts them and the logs
// name them.
const (
	ConfigKindUsers                = "users"
	ConfigKindHierarchyGroups      = "hierarchy_groups"
	ConfigKindHierarchyLevels      = "hierarchy_levels"
	ConfigKindRoutingProfiles      = "routing_profiles"
	ConfigKindRoutingProfileQueues = "routing_profile_queues"
	ConfigKindQueues               = "queues"
	ConfigKindAgentStatuses        = "agent_statuses"
)

// ConfigChanges counts what a configuration sync changed, per kind.
type ConfigChanges struct {
	Inserted  map[string]int
	Updated   map[string]int
	Deleted   map[string]int
	Unchanged map[string]int
}

// SetLastModified sets LastModified of every entity of c that has one (the
// simulators use it to stamp a configuration they build).
func (c *Configuration) SetLastModified(t time.Time) {
	for i := range c.Users {
		c.Users[i].LastModified = t
	}
	for i := range c.HierarchyGroups {
		c.HierarchyGroups[i].LastModified = t
	}
	for i := range c.RoutingProfiles {
		c.RoutingProfiles[i].LastModified = t
	}
	for i := range c.Queues {
		c.Queues[i].LastModified = t
	}
	for i := range c.AgentStatuses {
		c.AgentStatuses[i].LastModified = t
	}
}
