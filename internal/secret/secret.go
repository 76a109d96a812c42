// Package secret hides a known secret in a text: a connection string and
// the passwords in it, in the forms a driver, an error or a log may print
// them. It is the one redaction of the store's driver errors (sqlstore)
// and of the Lambda runtime's logs and errors (lambda.Secret); sqlstore's
// Redact, which masks a connection string for display by its grammar,
// builds on it.
package secret

import (
	"net/url"
	"sort"
	"strings"
)

// minLen is the shortest value Hide replaces: hiding a single character
// would mangle the text without protecting anything.
const minLen = 2

// Hide returns msg with every occurrence of each value, and of the value
// as a URL escapes it (query, path, user info), replaced by placeholder.
// Longer values are matched first, so a connection string is hidden whole
// before the password inside it.
func Hide(msg, placeholder string, values ...string) string {
	var forms []string
	for _, v := range values {
		if len(v) < minLen {
			continue
		}
		forms = append(forms, v, url.QueryEscape(v), url.PathEscape(v),
			strings.TrimPrefix(url.UserPassword("", v).String(), ":"))
	}
	if len(forms) == 0 {
		return msg
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, placeholder)
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// Passwords returns the passwords a connection string of any form holds:
// a URL's user info and password= query parameter, and the Password=,
// Pwd= and "User Id Password=" values of ADO.NET, Npgsql and libpq
// key=value strings (quotes and braces trimmed). It needs no valid input.
func Passwords(dsn string) []string {
	var out []string
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
		if p := u.Query().Get("password"); p != "" {
			out = append(out, p)
		}
	}
	for _, sep := range []string{";", " "} {
		for _, kv := range strings.Split(dsn, sep) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "password", "pwd", "user id password":
				out = append(out, strings.Trim(strings.TrimSpace(v), `'"{}`))
			}
		}
	}
	return out
}
