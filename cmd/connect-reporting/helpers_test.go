package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

func compactJSON(dst *bytes.Buffer, src []byte) error { return json.Compact(dst, src) }

func driverOf(dsn string) string {
	d, _ := sqlstore.ParseDSN(dsn, "")
	return d.Driver
}

func connOf(t *testing.T, dsn string) string {
	d, err := sqlstore.ParseDSN(dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	return d.Conn
}
