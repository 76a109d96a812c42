package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Environment variables that protect the dashboard.
const (
	EnvUser     = "DASHBOARD_USER"
	EnvPassword = "DASHBOARD_PASSWORD"
	EnvToken    = "DASHBOARD_TOKEN"
)

// Auth is the dashboard's login: HTTP basic auth (User and Password), a
// bearer token (Token), or both. The zero Auth lets everyone in, which
// RequireAuth allows only on a loopback address.
type Auth struct {
	User, Password, Token string
}

// AuthFromEnv reads DASHBOARD_USER, DASHBOARD_PASSWORD and DASHBOARD_TOKEN.
// A user without a password (or the reverse) is an error.
func AuthFromEnv(getenv func(string) string) (Auth, error) {
	a := Auth{User: getenv(EnvUser), Password: getenv(EnvPassword), Token: strings.TrimSpace(getenv(EnvToken))}
	if (a.User == "") != (a.Password == "") {
		return Auth{}, fmt.Errorf("dashboard login: set both %s and %s, or neither", EnvUser, EnvPassword)
	}
	return a, nil
}

// Enabled reports whether a login is required.
func (a Auth) Enabled() bool { return a.Token != "" || a.User != "" }

// ErrNoLogin is returned by CheckExposure for a non-loopback address
// without a login.
var ErrNoLogin = errors.New("the dashboard has no login")

// CheckExposure refuses to serve the dashboard beyond loopback without a
// login. addr is a listen address (host:port); an empty host, 0.0.0.0, ::
// or any name other than localhost counts as beyond loopback.
func CheckExposure(addr string, a Auth) error {
	if a.Enabled() || IsLoopback(addr) {
		return nil
	}
	return fmt.Errorf("%w and %s is not a loopback address: set %s (clients send \"Authorization: Bearer <token>\"), or %s and %s (basic auth), or listen on 127.0.0.1",
		ErrNoLogin, addr, EnvToken, EnvUser, EnvPassword)
}

// IsLoopback reports whether the listen address addr binds loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// RequireAuth serves h to requests that carry the login of a: the bearer
// token or the basic-auth user and password, compared in constant time.
// Others get 401. /healthz stays open (it tells only whether the database
// answers), so load balancers can probe it. A zero Auth returns h.
func RequireAuth(h http.Handler, a Auth) http.Handler {
	if !a.Enabled() {
		return h
	}
	token, user, pass := digest(a.Token), digest(a.User), digest(a.Password)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || a.allows(r, token, user, pass) {
			h.ServeHTTP(w, r)
			return
		}
		if a.User != "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="connect-reporting", charset="UTF-8"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="connect-reporting"`)
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
}

func (a Auth) allows(r *http.Request, token, user, pass [32]byte) bool {
	if a.Token != "" {
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			return cmp(digest(strings.TrimSpace(v)), token) == 1
		}
	}
	if a.User != "" {
		if u, p, ok := r.BasicAuth(); ok {
			// Both compared, always: no early exit on a wrong user.
			return cmp(digest(u), user)&cmp(digest(p), pass) == 1
		}
	}
	return false
}

// digest hashes a secret so comparisons take the same time whatever the
// lengths.
func digest(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// cmp is 1 when a equals b, else 0, in constant time.
func cmp(a, b [32]byte) int { return subtle.ConstantTimeCompare(a[:], b[:]) }
