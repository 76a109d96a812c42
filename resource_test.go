package connectreporting

import (
	"testing"
	"time"
)

func TestSetLastModified(t *testing.T) {
	at := time.Date(2025, 3, 8, 12, 0, 0, 0, time.UTC)
	c := Configuration{
		Users: []User{{ID: "u1"}, {ID: "u2"}}, HierarchyGroups: []HierarchyGroup{{ID: "g"}},
		RoutingProfiles: []RoutingProfile{{ID: "rp"}}, Queues: []Queue{{ID: "q"}}, AgentStatuses: []AgentStatus{{ID: "s"}},
	}
	users := c.Users // the caller's slices are stamped in place
	c.SetLastModified(at)
	for name, got := range map[string]time.Time{
		"user": users[1].LastModified, "group": c.HierarchyGroups[0].LastModified, "routing profile": c.RoutingProfiles[0].LastModified,
		"queue": c.Queues[0].LastModified, "agent status": c.AgentStatuses[0].LastModified,
	} {
		if !got.Equal(at) {
			t.Errorf("%s: LastModified %v, want %v", name, got, at)
		}
	}
	var empty Configuration
	empty.SetLastModified(at) // nothing to stamp, no panic
}
