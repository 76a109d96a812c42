package sqlstore

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A batch of new agent events offers agent_state the newest event of each
// agent in the query of its COPY into agent_event, after the COPY
// (pgStateUpsert): no staging COPY and no round trip of its own. The rows
// are few (one per agent of the batch) and their values short, so they
// travel as literals in the statement: a VALUES list in agent_id order
// (the lock order of the staged statement's ORDER BY) with the staged
// statement's ON CONFLICT clause. A value a literal cannot carry the way
// the COPY would (text with a NUL or invalid UTF-8, which the COPY refuses
// as a data error; a time outside years 1-9999) leaves the batch on the
// staged path, where the staging COPY gives the same error or stores it.

// pgStateSources are, for each column of agentStateCols, the agent_event
// column (of pgEventCols) its value is read from.
var pgStateSources = func() []ingestCol[eventRow] {
	out := make([]ingestCol[eventRow], len(agentStateCols))
	for i, c := range agentStateCols {
		j := slices.IndexFunc(pgEventCols, func(e ingestCol[eventRow]) bool { return e.name == c.from })
		if j < 0 {
			panic("pgStateSources: agent_event has no column " + c.from)
		}
		out[i] = pgEventCols[j]
	}
	return out
}()

// pgStateUpsert is the statement that offers agent_state the events
// evs[state[k]] (at most one per agent), their values as literals; ok is
// false when one of them cannot be written as a literal (see above) or
// there is none.
func pgStateUpsert(evs []eventRow, state []int) (q string, ok bool) {
	if len(state) == 0 {
		return "", false
	}
	rows := slices.Clone(state)
	slices.SortFunc(rows, func(a, b int) int { return strings.Compare(evs[a].AgentID, evs[b].AgentID) })
	var b strings.Builder
	b.WriteString(pgSQL().stateInsert + " VALUES")
	for k, i := range rows {
		if k > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n(")
		for ci, c := range pgStateSources {
			if ci > 0 {
				b.WriteString(", ")
			}
			if !pgLiteral(&b, c.kind, c.get(&evs[i])) {
				return "", false
			}
		}
		b.WriteByte(')')
	}
	b.WriteString("\n" + pgSQL().stateConflict)
	return b.String(), true
}

// pgLiteral writes v, a value of a column of kind k as colArg reads it, as
// a SQL literal: "" text and a zero time are NULL, as in the COPY. Text
// is an escape string (E'…', backslashes and quotes doubled), which reads
// the same whatever standard_conforming_strings says; a time is its UTC
// microsecond, truncated as the binary COPY truncates it. It reports false
// for what a literal cannot carry as the COPY would.
func pgLiteral(b *strings.Builder, k colKind, v any) bool {
	switch k {
	case kText:
		s := v.(string)
		if s == "" {
			b.WriteString("NULL")
			return true
		}
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
		b.WriteString("E'")
		b.WriteString(pgEscape.Replace(s))
		b.WriteByte('\'')
		return true
	case kTime:
		t := v.(time.Time)
		if t.IsZero() {
			b.WriteString("NULL")
			return true
		}
		if t = t.UTC(); t.Year() < 1 || t.Year() > 9999 {
			return false
		}
		b.WriteString(t.Truncate(time.Microsecond).Format("'2006-01-02 15:04:05.000000Z07:00'"))
		return true
	case kInt:
		b.WriteString(strconv.FormatInt(v.(int64), 10))
		return true
	}
	return false
}

var pgEscape = strings.NewReplacer(`\`, `\\`, `'`, `''`)
