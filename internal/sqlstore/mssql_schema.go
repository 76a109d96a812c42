package sqlstore

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// The SQL Server schema as its migrations leave it: the type of every column
// (with its COLLATE clause, if any), read from the embedded migration files
// themselves. The batch writes stage rows in table variables of exactly
// these types, so the migrations are the one source of truth: a column
// widened, narrowed or re-collated there is staged the same way here.

var mssqlSchema = sync.OnceValues(func() (map[string]map[string]string, error) {
	files, err := MigrationSQL(DialectSQLServer)
	if err != nil {
		return nil, err
	}
	return parseMSSQLSchema(files)
})

// mssqlColType is the type of table.col after every migration; it panics
// when the migrations do not define the column (a programming error the
// golden tests catch).
func mssqlColType(table, col string) string {
	s, err := mssqlSchema()
	if err != nil {
		panic(fmt.Sprintf("SQL Server schema: %v", err))
	}
	t, ok := s[table][col]
	if !ok {
		panic(fmt.Sprintf("SQL Server schema: the migrations define no column %s.%s", table, col))
	}
	return t
}

// mssqlWide is the type OPENJSON reads a column's JSON value as before it is
// stored in a staging column of the exact type: text is read whole, so an
// over-long value fails the INSERT with Msg 2628 (a data error the engine
// isolates) instead of being cut short silently.
func mssqlWide(typ string) string {
	if strings.HasPrefix(typ, "nvarchar(") {
		return "nvarchar(max)"
	}
	return typ
}

var (
	mssqlStmtBlock  = regexp.MustCompile(`(?s)-- \+goose StatementBegin.*?-- \+goose StatementEnd`)
	mssqlComment    = regexp.MustCompile(`--[^\n]*`)
	mssqlCreate     = regexp.MustCompile(`(?is)^CREATE TABLE\s+(\S+)\s*\((.*)\)$`)
	mssqlAlterCol   = regexp.MustCompile(`(?is)ALTER TABLE\s+(\S+)\s+ALTER COLUMN\s+(\S+)\s+(.*)$`)
	mssqlAddCol     = regexp.MustCompile(`(?is)ALTER TABLE\s+(\S+)\s+ADD\s+(\S+)\s+(.*)$`)
	mssqlDropCol    = regexp.MustCompile(`(?is)ALTER TABLE\s+(\S+)\s+DROP COLUMN\s+(\S+)$`)
	mssqlConstraint = []string{"PRIMARY", "CONSTRAINT", "UNIQUE", "INDEX", "FOREIGN", "CHECK"}
)

func parseMSSQLSchema(files map[string]string) (map[string]map[string]string, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	schema := map[string]map[string]string{}
	set := func(table, col, rest string) {
		table, col = unbracket(table), unbracket(col)
		if schema[table] == nil {
			schema[table] = map[string]string{}
		}
		schema[table][col] = mssqlDeclType(rest)
	}
	for _, n := range names {
		up, _, _ := strings.Cut(files[n], "-- +goose Down")
		up = mssqlComment.ReplaceAllString(mssqlStmtBlock.ReplaceAllString(up, ""), "")
		for _, stmt := range strings.Split(up, ";") {
			stmt = strings.Join(strings.Fields(stmt), " ")
			if m := mssqlCreate.FindStringSubmatch(stmt); m != nil {
				for _, item := range splitTopLevel(m[2]) {
					f := strings.Fields(item)
					if len(f) < 2 || slices.Contains(mssqlConstraint, strings.ToUpper(f[0])) {
						continue
					}
					set(m[1], f[0], strings.Join(f[1:], " "))
				}
				continue
			}
			if m := mssqlDropCol.FindStringSubmatch(stmt); m != nil {
				delete(schema[unbracket(m[1])], unbracket(m[2]))
				continue
			}
			if m := mssqlAlterCol.FindStringSubmatch(stmt); m != nil {
				set(m[1], m[2], m[3])
				continue
			}
			if m := mssqlAddCol.FindStringSubmatch(stmt); m != nil && !strings.EqualFold(m[2], "CONSTRAINT") {
				set(m[1], m[2], m[3])
			}
		}
	}
	if len(schema) == 0 {
		return nil, fmt.Errorf("no CREATE TABLE in %d migration files", len(files))
	}
	return schema, nil
}

// mssqlDeclType keeps the type and its COLLATE clause of a column
// definition ("nvarchar(128) COLLATE X NOT NULL" -> "nvarchar(128) COLLATE X").
func mssqlDeclType(def string) string {
	f := strings.Fields(def)
	if len(f) >= 3 && strings.EqualFold(f[1], "COLLATE") {
		return f[0] + " COLLATE " + f[2]
	}
	return f[0]
}

func unbracket(name string) string { return strings.Trim(name, "[]") }

// splitTopLevel splits a column list on the commas outside parentheses.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
