package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzPGLiteral: the literals pgStateUpsert writes into its statement read
// back on the server as the values they were made of, whatever the text
// (quotes, backslashes, dollar quotes, comments, semicolons: nothing ends
// the literal early), and a time as its UTC microsecond, truncated as the
// binary COPY truncates it. What pgLiteral refuses is what a literal cannot
// carry: text with a NUL or invalid UTF-8.
func FuzzPGLiteral(f *testing.F) {
	s, _ := openIngestStorePG(f, Options{})
	for _, seed := range []string{"", "plain", `O'Brien \' \\x '' $$`, `it's; DROP TABLE agent_state; --`,
		"Québec – ventes 📞", `E'\x41'`, "\\", "'", "a\x00b", "\xff", "/* */ $tag$ \n\t\r"} {
		f.Add(seed, int64(1709536637078123456))
	}
	f.Add("", int64(-1))
	f.Add("", int64(0))
	f.Fuzz(func(t *testing.T, text string, ns int64) {
		ctx := context.Background()
		var b strings.Builder
		ok := pgLiteral(&b, kText, text)
		if want := utf8.ValidString(text) && !strings.ContainsRune(text, 0); ok != want {
			t.Fatalf("pgLiteral(%q) ok %v, want %v", text, ok, want)
		}
		if ok {
			var got *string
			if err := s.DB().QueryRowContext(ctx, "SELECT "+b.String()+"::text").Scan(&got); err != nil {
				t.Fatalf("literal %s of %q: %v", b.String(), text, err)
			}
			switch {
			case text == "" && got != nil:
				t.Fatalf("\"\" reads back as %q, want NULL", *got)
			case text != "" && (got == nil || *got != text):
				t.Fatalf("literal %s reads back as %v, want %q", b.String(), got, text)
			}
		}
		tm := time.Unix(0, ns)
		b.Reset()
		if !pgLiteral(&b, kTime, tm) {
			t.Fatalf("pgLiteral(%v) refused a time of year %d", tm, tm.Year())
		}
		var got time.Time
		if err := s.DB().QueryRowContext(ctx, "SELECT "+b.String()+"::timestamptz").Scan(&got); err != nil {
			t.Fatalf("literal %s of %v: %v", b.String(), tm, err)
		}
		if want := tm.UTC().Truncate(time.Microsecond); !got.Equal(want) {
			t.Fatalf("literal %s reads back as %v, want %v", b.String(), got, want)
		}
	})
}
