package secret_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/connect-reporting/connect-reporting/internal/secret"
)

func TestHide(t *testing.T) {
	const pw = "p@ss/w0rd;x"
	dsn := "postgres://reporter:" + url.PathEscape(pw) + "@db:5432/connect"
	for _, tc := range []struct {
		name, msg string
		values    []string
		want      string
	}{
		{"the value", "login failed: password " + pw + " rejected", []string{pw}, "login failed: password XX rejected"},
		{"query escape", "dial ?password=" + url.QueryEscape(pw), []string{pw}, "dial ?password=XX"},
		{"user info escape", "dial reporter:" + strings.TrimPrefix(url.UserPassword("", pw).String(), ":") + "@db", []string{pw}, "dial reporter:XX@db"},
		{"the connection string whole before its password", "open " + dsn + ": refused", []string{dsn, pw}, "open XX: refused"},
		{"several occurrences", pw + " and " + pw, []string{pw}, "XX and XX"},
		{"one character is left alone", "a b c", []string{"b"}, "a b c"},
		{"no values", "nothing to hide", nil, "nothing to hide"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := secret.Hide(tc.msg, "XX", tc.values...); got != tc.want {
				t.Errorf("Hide(%q) = %q, want %q", tc.msg, got, tc.want)
			}
		})
	}
}

func TestPasswords(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want []string
	}{
		{"postgres://u:s3cret@h/db", []string{"s3cret"}},
		{"sqlserver://u:a%40b@h?database=x&password=q2", []string{"a@b", "q2"}},
		{"Server=h,1433;Database=d;User Id=u;Password={p@ss};MultipleActiveResultSets=True", []string{"p@ss"}},
		{"Server=h;User Id=u;Pwd='quoted'", []string{"quoted"}},
		{"host=db user=u password=spaced dbname=c", []string{"spaced"}},
		{"sqlite:/tmp/x.db", nil},
	} {
		if got := secret.Passwords(tc.dsn); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Passwords(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}
