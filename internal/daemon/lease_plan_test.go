package daemon

import (
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// TestLeasePlan: what one balancing round takes, given who holds what.
// Leases are written "shard:owner"; owners ending in "~" have not renewed
// for longer than the lease duration.
func TestLeasePlan(t *testing.T) {
	tests := []struct {
		name, leases, busy, want string
	}{
		{"alone takes every free lease", "s0: s1: s2: s3:", "", "s0 s1 s2 s3"},
		{"second of two takes none free, steals one", "s0:A s1:A s2:A s3:A", "", "s0"},
		{"balanced 2/2 takes nothing", "s0:A s1:A s2:me s3:me", "", ""},
		{"expired leases before stealing", "s0:A s1:A s2:dead~ s3:dead~", "", "s2 s3"},
		{"up to the target only", "s0: s1: s2: s3:me s4:A s5:A", "", "s0 s1"},
		{"third of three with 2/2/0 on 4 shards steals", "s0:A s1:A s2:B s3:B", "", "s0"},
		{"at target-1 with most at target: no steal", "s0:A s1:A s2:B s3:me s4:me s5:B s6:A", "", ""},
		{"a shard whose reader is stopping is not taken", "s0: s1:", "s0", "s1"},
		{"steals from the most loaded", "s0:A s1:B s2:B s3:B s4:B s5:A", "", "s1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now()
			v := leaseView{me: "me", duration: time.Second, now: now, seen: map[string]observed{}}
			var avail []connectreporting.ShardLease
			for _, f := range strings.Fields(tt.leases) {
				id, owner, _ := strings.Cut(f, ":")
				since := now
				if strings.HasSuffix(owner, "~") {
					owner, since = strings.TrimSuffix(owner, "~"), now.Add(-2*time.Second)
				}
				avail = append(avail, connectreporting.ShardLease{ShardID: id, Owner: owner, Counter: 7})
				v.seen[id] = observed{owner: owner, counter: 7, since: since}
			}
			busy := map[string]bool{}
			for _, id := range strings.Fields(tt.busy) {
				busy[id] = true
			}
			var got []string
			for _, l := range v.plan(avail, busy) {
				got = append(got, l.ShardID)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("plan took %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}
