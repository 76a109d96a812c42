package sqlstore

import (
	"errors"
	"regexp"
	"strings"

	"github.com/connect-reporting/connect-reporting/internal/secret"
)

// redactedValue replaces a password wherever one is printed.
const redactedValue = "xxxxx"

// Redact returns a connection string of any form with its passwords
// hidden, for errors and logs. It needs no valid input: URL forms
// (postgres://u:pw@h/db, with ?password= too), the same without a scheme
// or with a typo in it (u:pw@h:5432/db, postgres//u:pw@h/db), and
// ADO.NET/Npgsql keyword strings. In a keyword string only the values of
// keys known to be harmless (server, database, user, port, …) are kept;
// any other value, a misspelt "Pasword=" included, is hidden.
func Redact(s string) string {
	if isKeywordString(s) {
		return redactKeywords(s)
	}
	return redactUserinfo(redactQueryPasswords(s))
}

// isKeywordString tells "Key=Value;…" strings from URL-like ones.
func isKeywordString(s string) bool {
	k, _, ok := strings.Cut(s, "=")
	return ok && !strings.ContainsAny(k, ":/?@&")
}

// safeKeywords are the keywords whose values Redact shows.
var safeKeywords = map[string]bool{
	"server": true, "host": true, "datasource": true, "database": true, "user": true, "port": true,
	"encrypt": true, "trustservercertificate": true, "sslmode": true, "timeout": true,
	"connecttimeout": true, "connectiontimeout": true, "applicationname": true, "app": true,
	"multipleactiveresultsets": true, "pooling": true, "searchpath": true, "integratedsecurity": true,
}

func redactKeywords(s string) string {
	parts := splitKeywords(s)
	for i, part := range parts {
		k, _, ok := strings.Cut(part, "=")
		if !ok {
			// Not Key=Value: the tail of a value that held a ';'.
			if strings.TrimSpace(part) != "" {
				parts[i] = redactedValue
			}
			continue
		}
		if !safeKeywords[normKey(k)] {
			parts[i] = k + "=" + redactedValue
		}
	}
	return strings.Join(parts, ";")
}

// queryPassword matches password-like parameters of a URL query.
var queryPassword = regexp.MustCompile(`(?i)([?&;](?:password|passwd|pwd|pass)=)[^&]*`)

func redactQueryPasswords(s string) string {
	return queryPassword.ReplaceAllString(s, "${1}"+redactedValue)
}

// schemeLike matches what may precede "//" in a URL with or without its
// colon ("postgres:", "postgres", "sqlserver").
var schemeLike = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:?$`)

// redactUserinfo hides everything between the first ':' of the user info
// and the last '@' before the host: "[scheme[:]//]user:password@host…".
// The password may hold any character, '@' and '/' included.
func redactUserinfo(s string) string {
	end := len(s)
	if q := strings.IndexAny(s, "?"); q >= 0 {
		end = q
	}
	at := strings.LastIndex(s[:end], "@")
	if at < 0 {
		return s
	}
	start := 0
	if i := strings.Index(s[:at], "//"); i >= 0 && schemeLike.MatchString(s[:i]) {
		start = i + 2
	}
	colon := strings.Index(s[start:at], ":")
	if colon < 0 {
		return s
	}
	colon += start
	return s[:colon+1] + redactedValue + s[at:]
}

// scrubbed is an error whose text has a password removed. It unwraps to
// the original, so errors.Is and errors.As still see the driver's error.
type scrubbed struct {
	err      error
	password string
}

func (e *scrubbed) Error() string { return scrub(e.err.Error(), e.password) }
func (e *scrubbed) Unwrap() error { return e.err }

// scrubErr hides password (and its common escapes) in err's text.
func scrubErr(err error, password string) error {
	if err == nil || password == "" {
		return err
	}
	var s *scrubbed
	if errors.As(err, &s) && s.password == password {
		return err
	}
	return &scrubbed{err: err, password: password}
}

func scrub(msg, password string) string { return secret.Hide(msg, redactedValue, password) }
