package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// configKind maps one kind of configuration entity to its history table.
type configKind struct {
	name  string
	table string
	keys  []string // the Connect id column(s)
	cols  []string // the other columns
	// rows returns the entities as key values followed by column values;
	// nil when the kind was not read (left untouched).
	rows func(c *connectreporting.Configuration) [][]any
}

func hierarchyPath(p []string) []any {
	out := make([]any, 5)
	for i := range out {
		out[i] = ""
		if i < len(p) {
			out[i] = p[i]
		}
	}
	return out
}

func jsonText(v any) string {
	b, _ := json.Marshal(v) // maps marshal with sorted keys
	if string(b) == "null" {
		return ""
	}
	return string(b)
}

var configKinds = []configKind{
	{
		name: connectreporting.ConfigKindUsers, table: "connect_user", keys: []string{"user_id"},
		cols: []string{"arn", "username", "first_name", "last_name", "email", "routing_profile_id",
			"hierarchy_group_id", "security_profile_ids", "phone_type", "auto_accept", "after_contact_work_time_limit"},
		rows: func(c *connectreporting.Configuration) [][]any {
			if c.Users == nil {
				return nil
			}
			out := make([][]any, 0, len(c.Users))
			for _, u := range c.Users {
				sp := slices.Clone(u.SecurityProfileIDs)
				slices.Sort(sp)
				out = append(out, []any{u.ID, u.ARN, u.Username, u.FirstName, u.LastName, u.Email, u.RoutingProfileID,
					u.HierarchyGroupID, strings.Join(sp, ","), u.PhoneType, u.AutoAccept, int64(u.AfterContactWorkTimeLimit)})
			}
			return out
		},
	},
	{
		name: connectreporting.ConfigKindHierarchyGroups, table: "hierarchy_group", keys: []string{"hierarchy_group_id"},
		cols: []string{"arn", "name", "level_id", "level1_group_id", "level2_group_id", "level3_group_id", "level4_group_id", "level5_group_id"},
		rows: func(c *connectreporting.Configuration) [][]any {
			if c.HierarchyGroups == nil {
				return nil
			}
			out := make([][]any, 0, len(c.HierarchyGroups))
			for _, g := range c.HierarchyGroups {
				out = append(out, append([]any{g.ID, g.ARN, g.Name, g.LevelID}, hierarchyPath(g.Path)...))
			}
			return out
		},
	},
	{
		name: connectreporting.ConfigKindHierarchyLevels, table: "hierarchy_level", keys: []string{"hierarchy_level_id"},
		cols: []string{"arn", "name", "level_number"},
		rows: func(c *connectreporting.Configuration) [][]any {
			if c.HierarchyLevels == nil {
				return nil
			}
			out := make([][]any, 0, len(c.HierarchyLevels))
			for _, l := range c.HierarchyLevels {
				out = append(out, []any{l.ID, l.ARN, l.Name, int64(l.Level)})
			}
			return out
		},
	},
	{
		name: connectreporting.ConfigKindRoutingProfiles, table: "routing_profile", keys: []string{"routing_profile_id"},
		cols: []string{"arn", "name", "description", "default_outbound_queue_id", "concurrency"},
		rows: func(c *connectreporting.Configuration) [][]any {
			if c.RoutingProfiles == nil {
				return nil
			}
			out := make([][]any, 0, len(c.RoutingProfiles))
			for _, r := range c.RoutingProfiles {
				out = append(out, []any{r.ID, r.ARN, r.Name, r.Description, r.DefaultOutboundQueueID, jsonText(r.Concurrency)})
			}
			return out
		},
	},
	{
		name: connectreporting.ConfigKindRoutingProfileQueues, table: "routing_profile_queue", keys: []string{"routing_profile_id", "queue_id", "channel"},
		cols: []string{"priority", "delay"},
		rows: func(c *connectreporting.Configuration) [][]any {
			if c.RoutingProfileQueues == nil {
				return nil
			}
			out := make([][]any, 0, len(c.RoutingProfileQueues))
			for _, q := range c.RoutingProfileQueues {
				out = append(out, []any{q.RoutingProfileID, q.QueueID, connectreporting.NormalizeChannel(q.Channel), int64(q.Priority), int64(q.Delay)})
			}
			return out
		},
	},
	{
		name: connectreporting.ConfigKindQueues, table: "queue", keys: []string{"queue_id"},
		cols: []string{"arn", "name", "queue_type", "description", "status", "max_contacts", "hours_of_operation_id"},
		rows: func(c *connectreporting.Configuration) [][]any {
			if c.Queues == nil {
				return nil
			}
			out := make([][]any, 0, len(c.Queues))
			for _, q := range c.Queues {
				out = append(out, []any{q.ID, q.ARN, q.Name, q.Type, q.Description, q.Status, q.MaxContacts, q.HoursOfOperationID})
			}
			return out
		},
	},
	{
		name: connectreporting.ConfigKindAgentStatuses, table: "agent_status", keys: []string{"agent_status_id"},
		cols: []string{"arn", "name", "status_type", "state", "display_order"},
		rows: func(c *connectreporting.Configuration) [][]any {
			if c.AgentStatuses == nil {
				return nil
			}
			out := make([][]any, 0, len(c.AgentStatuses))
			for _, a := range c.AgentStatuses {
				out = append(out, []any{a.ID, a.ARN, a.Name, a.Type, a.State, int64(a.DisplayOrder)})
			}
			return out
		},
	},
}

// contentHash identifies an entity's values (keys and columns).
func contentHash(row []any) string {
	vals := make([]any, len(row))
	for i, v := range row {
		if p, ok := v.(*int); ok {
			if p == nil {
				vals[i] = nil
			} else {
				vals[i] = *p
			}
			continue
		}
		vals[i] = v
	}
	b, _ := json.Marshal(vals)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// SyncConfiguration brings the configuration history tables in line with c,
// read at c.ReadAt, in one transaction: a new entity opens a row
// (valid_from = ReadAt, valid_to NULL); a changed one closes its current row
// and opens a new one; one no longer listed has its current row closed; an
// unchanged one is left alone. A kind whose slice is nil was not read and is
// left untouched. Syncing the same configuration twice changes nothing.
func (s *Store) SyncConfiguration(ctx context.Context, c connectreporting.Configuration) (connectreporting.ConfigChanges, error) {
	ch := connectreporting.ConfigChanges{Inserted: map[string]int{}, Updated: map[string]int{}, Deleted: map[string]int{}, Unchanged: map[string]int{}}
	readAt := c.ReadAt.UTC()
	if readAt.IsZero() {
		readAt = s.now().UTC()
	}
	readAt = readAt.Truncate(time.Microsecond) // what every dialect keeps exactly
	err := s.inTx(ctx, "sync configuration", func(tx *sql.Tx) error {
		for _, k := range configKinds {
			rows := k.rows(&c)
			if rows == nil {
				continue
			}
			if err := s.syncKind(ctx, tx, k, rows, readAt, &ch); err != nil {
				return fmt.Errorf("%s: %w", k.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return connectreporting.ConfigChanges{}, err
	}
	s.logger().InfoContext(ctx, "synced configuration", "inserted", ch.Inserted, "updated", ch.Updated, "deleted", ch.Deleted)
	return ch, nil
}

type currentRow struct {
	validFrom time.Time
	hash      string
	keys      []any
}

func (s *Store) syncKind(ctx context.Context, tx *sql.Tx, k configKind, rows [][]any, readAt time.Time, ch *connectreporting.ConfigChanges) error {
	table := s.dialect.quoteIdent(k.table)
	cur, err := s.currentConfig(ctx, tx, k, table)
	if err != nil {
		return err
	}
	keyOf := func(r []any) string {
		var b strings.Builder
		for i := range k.keys {
			fmt.Fprint(&b, r[i], "\x00")
		}
		return b.String()
	}
	// The last entity of a key wins when a key is listed twice.
	latest := map[string][]any{}
	var order []string
	for _, r := range rows {
		key := keyOf(r)
		if _, ok := latest[key]; !ok {
			order = append(order, key)
		}
		latest[key] = r
	}
	cols := append(append(append([]string{}, k.keys...), "valid_from", "valid_to", "content_hash"), k.cols...)
	var writes [][]any
	var closeRows []currentRow
	for _, key := range order {
		r := latest[key]
		hash := contentHash(r)
		old, ok := cur[key]
		delete(cur, key)
		validFrom := readAt
		switch {
		case !ok:
			ch.Inserted[k.name]++
		case old.hash == hash:
			ch.Unchanged[k.name]++
			continue
		case !readAt.After(old.validFrom):
			// Read at (or before) the current row's start: correct it in place.
			validFrom = old.validFrom
			ch.Updated[k.name]++
		default:
			closeRows = append(closeRows, old)
			ch.Updated[k.name]++
		}
		row := append(append([]any{}, r[:len(k.keys)]...), validFrom, time.Time{}, hash) // valid_to NULL
		writes = append(writes, append(row, r[len(k.keys):]...))
	}
	for _, old := range cur { // no longer listed: deleted in Connect
		closeRows = append(closeRows, old)
		ch.Deleted[k.name]++
	}
	if err := s.closeConfigRows(ctx, tx, k, table, closeRows, readAt); err != nil {
		return fmt.Errorf("close rows: %w", err)
	}
	u := upsert{table: k.table, cols: cols, keys: append(append([]string{}, k.keys...), "valid_from")}
	return u.exec(ctx, tx, s.dialect, writes)
}

// closeConfigRows sets valid_to = readAt on the given current rows: one
// statement on SQL Server (per 2,000 parameters), one per row elsewhere.
func (s *Store) closeConfigRows(ctx context.Context, tx *sql.Tx, k configKind, table string, rows []currentRow, readAt time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	return s.dialect.closeConfigRows(ctx, tx, s, k.keys, table, rows, readAt)
}

func (s *Store) currentConfig(ctx context.Context, tx *sql.Tx, k configKind, table string) (map[string]currentRow, error) {
	sel := make([]string, 0, len(k.keys)+2)
	for _, key := range k.keys {
		sel = append(sel, s.dialect.quoteIdent(key))
	}
	sel = append(sel, "valid_from", "content_hash")
	// Overlapping syncs of a kind take turns (see the dialects'
	// updateLockHint and lockForUpdate).
	if err := s.dialect.lockForUpdate(ctx, tx, table); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+table+s.dialect.updateLockHint()+" WHERE valid_to IS NULL")
	if err != nil {
		return nil, fmt.Errorf("read current rows: %w", err)
	}
	defer rows.Close()
	out := map[string]currentRow{}
	for rows.Next() {
		keys := make([]sql.NullString, len(k.keys))
		var c currentRow
		dest := make([]any, 0, len(keys)+2)
		for i := range keys {
			dest = append(dest, &keys[i])
		}
		dest = append(dest, scanTime{&c.validFrom}, &c.hash)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read current rows: %w", err)
		}
		var b strings.Builder
		for _, v := range keys {
			fmt.Fprint(&b, v.String, "\x00")
			c.keys = append(c.keys, v.String)
		}
		out[b.String()] = c
	}
	return out, rows.Err()
}
