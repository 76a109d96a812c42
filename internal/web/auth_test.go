package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/connect-reporting/connect-reporting/internal/web"
)

// TestRequireAuth serves the real dashboard over a real HTTP server behind
// each kind of login and checks who gets in.
func TestRequireAuth(t *testing.T) {
	h := newHandler(openStore(t), nil)
	type req struct {
		path, user, pass, bearer string
		want                     int
	}
	cases := []struct {
		name string
		auth web.Auth
		reqs []req
	}{
		{"token", web.Auth{Token: "t0ken-secret"}, []req{
			{path: "/api/wallboard", want: 401},
			{path: "/api/wallboard", bearer: "t0ken-secret", want: 200},
			{path: "/", bearer: "t0ken-secret", want: 200},
			{path: "/api/wallboard", bearer: "t0ken-secreT", want: 401},
			{path: "/api/wallboard", bearer: "t0ken", want: 401},
			{path: "/api/wallboard", user: "x", pass: "t0ken-secret", want: 401},
			{path: "/static/app.js", want: 401},
			{path: "/healthz", want: 200},
		}},
		{"basic", web.Auth{User: "ops", Password: "pa55"}, []req{
			{path: "/", want: 401},
			{path: "/api/wallboard", user: "ops", pass: "pa55", want: 200},
			{path: "/api/wallboard", user: "ops", pass: "pa56", want: 401},
			{path: "/api/wallboard", user: "Ops", pass: "pa55", want: 401},
			{path: "/api/wallboard", bearer: "pa55", want: 401},
		}},
		{"both", web.Auth{User: "ops", Password: "pa55", Token: "tok"}, []req{
			{path: "/api/wallboard", user: "ops", pass: "pa55", want: 200},
			{path: "/api/wallboard", bearer: "tok", want: 200},
			{path: "/api/wallboard", bearer: "pa55", want: 401},
		}},
		{"none", web.Auth{}, []req{{path: "/api/wallboard", want: 200}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(web.RequireAuth(h, tc.auth))
			defer srv.Close()
			for _, r := range tc.reqs {
				hr, _ := http.NewRequest(http.MethodGet, srv.URL+r.path, nil)
				if r.user != "" {
					hr.SetBasicAuth(r.user, r.pass)
				}
				if r.bearer != "" {
					hr.Header.Set("Authorization", "Bearer "+r.bearer)
				}
				res, err := srv.Client().Do(hr)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != r.want {
					t.Errorf("%+v: status %d, want %d", r, res.StatusCode, r.want)
				}
				if res.StatusCode == 401 && (res.Header.Get("WWW-Authenticate") == "" || strings.Contains(string(body), "queue")) {
					t.Errorf("%+v: 401 with header %q body %q", r, res.Header.Get("WWW-Authenticate"), body)
				}
			}
		})
	}
}

func TestCheckExposure(t *testing.T) {
	for addr, loopback := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:8080": true, "[::1]:8080": true, "127.0.0.2:1": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "10.0.0.5:8080": false, "dash.example:80": false,
	} {
		err := web.CheckExposure(addr, web.Auth{})
		if (err == nil) != loopback {
			t.Errorf("%s without login: %v", addr, err)
		}
		if err != nil && !strings.Contains(err.Error(), "DASHBOARD_TOKEN") {
			t.Errorf("%s: message does not say how to set a login: %v", addr, err)
		}
		if err := web.CheckExposure(addr, web.Auth{Token: "x"}); err != nil {
			t.Errorf("%s with a token: %v", addr, err)
		}
	}
}

func TestAuthFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	a, err := web.AuthFromEnv(env(map[string]string{"DASHBOARD_USER": "u", "DASHBOARD_PASSWORD": "p", "DASHBOARD_TOKEN": " t "}))
	if err != nil || a != (web.Auth{User: "u", Password: "p", Token: "t"}) {
		t.Errorf("got %+v %v", a, err)
	}
	if _, err := web.AuthFromEnv(env(map[string]string{"DASHBOARD_USER": "u"})); err == nil || !strings.Contains(err.Error(), "DASHBOARD_PASSWORD") {
		t.Errorf("user without password: %v", err)
	}
	if a, err := web.AuthFromEnv(env(nil)); err != nil || a.Enabled() {
		t.Errorf("empty env: %+v %v", a, err)
	}
}
