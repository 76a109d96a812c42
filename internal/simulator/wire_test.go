package simulator

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadFixture(t *testing.T, name string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(readFile(t, "testdata", name), &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

// compareShape checks got against the fixture recursively: objects must have
// exactly the fixture's keys, values the fixture's JSON types (null on either
// side matches anything: the field is nullable), array elements the shape of
// the fixture's first element. seen collects the paths got has non-null.
func compareShape(path string, want, got any, seen map[string]bool) error {
	if want == nil || got == nil {
		return nil
	}
	if seen != nil {
		seen[path] = true
	}
	if wt, gt := jsonType(want), jsonType(got); wt != gt {
		return fmt.Errorf("%s: type %s, want %s", path, gt, wt)
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		if strings.HasSuffix(path, ".Attributes") || strings.HasSuffix(path, ".ContactDetails") {
			return nil // user-defined keys
		}
		for k := range w {
			if _, ok := g[k]; !ok {
				return fmt.Errorf("%s: missing key %q (has %v)", path, k, keysOf(g))
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return fmt.Errorf("%s: unexpected key %q", path, k)
			}
		}
		for k, wv := range w {
			if err := compareShape(path+"."+k, wv, g[k], seen); err != nil {
				return err
			}
		}
	case []any:
		if len(w) == 0 {
			return nil
		}
		for _, gv := range got.([]any) {
			if err := compareShape(path+"[]", w[0], gv, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// nonNullPaths lists the paths the fixture has non-null.
func nonNullPaths(path string, v any, out map[string]bool) {
	if v == nil {
		return
	}
	out[path] = true
	switch x := v.(type) {
	case map[string]any:
		if strings.HasSuffix(path, ".Attributes") || strings.HasSuffix(path, ".ContactDetails") {
			return
		}
		for k, e := range x {
			nonNullPaths(path+"."+k, e, out)
		}
	case []any:
		if len(x) > 0 {
			nonNullPaths(path+"[]", x[0], out)
		}
	}
}

var (
	aeTimeRe  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	ctrTimeRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
)

// checkTimestamps: every string field named *Timestamp has the stream's format.
func checkTimestamps(path string, v any, re *regexp.Regexp) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && strings.HasSuffix(k, "Timestamp") && !re.MatchString(s) {
				return fmt.Errorf("%s.%s: timestamp %q", path, k, s)
			}
			if err := checkTimestamps(path+"."+k, e, re); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkTimestamps(path+"[]", e, re); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestWireFormatMatchesFixtures(t *testing.T) {
	d := sharedDay(t)
	fixtures := map[string]any{
		"LOGIN":        loadFixture(t, "agent_event_login.json"),
		"LOGOUT":       loadFixture(t, "agent_event_logout.json"),
		"STATE_CHANGE": loadFixture(t, "agent_event_state_change.json"),
		"HEART_BEAT":   loadFixture(t, "agent_event_heart_beat.json"),
		"CTR":          loadFixture(t, "ctr.json"),
	}
	seen := map[string]map[string]bool{}
	for k := range fixtures {
		seen[k] = map[string]bool{}
	}
	for _, r := range d.recs {
		var got any
		if err := json.Unmarshal(r.Data, &got); err != nil {
			t.Fatal(err)
		}
		kind, re := "CTR", ctrTimeRe
		if r.Stream == StreamAgentEvents {
			kind, re = got.(map[string]any)["EventType"].(string), aeTimeRe
		}
		want, ok := fixtures[kind]
		if !ok {
			t.Fatalf("no fixture for %s", kind)
		}
		if err := compareShape(kind, want, got, seen[kind]); err != nil {
			t.Fatalf("%v\n%s", err, r.Data)
		}
		if err := checkTimestamps(kind, got, re); err != nil {
			t.Fatal(err)
		}
	}
	// Every field the fixtures have non-null was emitted non-null at least once.
	for kind, want := range fixtures {
		paths := map[string]bool{}
		nonNullPaths(kind, want, paths)
		var missing []string
		for p := range paths {
			if !seen[kind][p] {
				missing = append(missing, p)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: never emitted non-null: %v", kind, missing)
		}
	}
}

// TestShapeComparatorCatchesMistakes proves the comparison fails on a
// misspelt, missing, extra or mistyped field at any depth.
func TestShapeComparatorCatchesMistakes(t *testing.T) {
	want := loadFixture(t, "ctr.json")
	ok := loadFixture(t, "ctr.json")
	if err := compareShape("CTR", want, ok, nil); err != nil {
		t.Fatal(err)
	}
	mutations := map[string]func(m map[string]any){
		"misspelt": func(m map[string]any) {
			q := m["Queue"].(map[string]any)
			q["EnqueueTimeStamp"] = q["EnqueueTimestamp"]
			delete(q, "EnqueueTimestamp")
		},
		"mistyped": func(m map[string]any) { m["Agent"].(map[string]any)["NumberOfHolds"] = "1" },
		"extra":    func(m map[string]any) { m["ContactID"] = "x" },
		"missing": func(m map[string]any) {
			delete(m["Agent"].(map[string]any)["HierarchyGroups"].(map[string]any), "Level5")
		},
		"deep": func(m map[string]any) { m["Recordings"].([]any)[0].(map[string]any)["StorageType"] = 3.0 },
	}
	for name, mutate := range mutations {
		bad := loadFixture(t, "ctr.json").(map[string]any)
		mutate(bad)
		if err := compareShape("CTR", want, bad, nil); err == nil {
			t.Errorf("%s field not caught", name)
		}
	}
}
