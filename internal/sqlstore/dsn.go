package sqlstore

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Dialects.
const (
	DialectSQLite    = "sqlite"
	DialectPostgres  = "postgres"
	DialectSQLServer = "sqlserver"
)

// DSN is a parsed connection string: the dialect, the database/sql driver
// and the driver's own connection string.
type DSN struct {
	Dialect string
	Driver  string
	// Conn is what the driver is opened with. It may hold a password: never
	// log it; log Redacted instead.
	Conn string
	// Redacted is Conn with any password replaced by "xxxxx".
	Redacted string
}

// DSNError says why a connection string could not be used. It never holds
// the password.
type DSNError struct {
	Reason string
}

func (e *DSNError) Error() string { return "connection string: " + e.Reason }

// ErrDSN is matched by every DSNError (errors.Is).
var ErrDSN = errors.New("invalid connection string")

// Is reports ErrDSN.
func (e *DSNError) Is(target error) bool { return target == ErrDSN }

func dsnErr(format string, a ...any) error { return &DSNError{Reason: fmt.Sprintf(format, a...)} }

// StorageDialect maps the STORAGE environment variable to a dialect: unset
// (or "sqlserver", "mssql") means SQL Server, as in the earlier deployment;
// "pgsql", "postgresql" or "postgres" PostgreSQL; "sqlite" SQLite.
func StorageDialect(storage string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(storage)) {
	case "", "sqlserver", "mssql":
		return DialectSQLServer, nil
	case "pgsql", "postgresql", "postgres":
		return DialectPostgres, nil
	case "sqlite", "sqlite3":
		return DialectSQLite, nil
	}
	return "", dsnErr("STORAGE=%q is not one of sqlserver (or unset), pgsql, postgresql, postgres, sqlite", storage)
}

// ParseDSN parses a connection string. URL forms say their own dialect:
// sqlite:PATH (or a path ending in .db, .sqlite, .sqlite3, or :memory:),
// postgres:// and postgresql://, sqlserver://. Keyword strings of the
// earlier .NET deployment (ADO.NET "Server=host,port;Database=...;User
// Id=...;Password=..." and Npgsql "Host=...;Port=...;Username=...") are
// read as the dialect storage names (see StorageDialect): unset means SQL
// Server. A "Host=" keyword string is always PostgreSQL.
func ParseDSN(dsn, storage string) (DSN, error) {
	s := strings.TrimSpace(dsn)
	if s == "" {
		return DSN{}, dsnErr("empty (set --db, DB_DSN or SQL_PARAM)")
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "sqlite:"):
		return sqliteDSN(s[len("sqlite:"):])
	case strings.HasPrefix(lower, "file:"):
		return sqliteDSN(s)
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return postgresURL(s)
	case strings.HasPrefix(lower, "sqlserver://"):
		return sqlserverURL(s)
	case strings.Contains(lower, "://"):
		scheme := s[:strings.Index(s, "://")]
		return DSN{}, dsnErr("unknown scheme %q (want sqlite:, postgres://, postgresql:// or sqlserver://)", scheme)
	case strings.Contains(s, "="):
		return keywordDSN(s, storage)
	case s == ":memory:" || hasDBSuffix(lower):
		return sqliteDSN(s)
	}
	return DSN{}, dsnErr("cannot tell the database from %q: use sqlite:PATH, a .db path, postgres://…, sqlserver://… or a Key=Value;… string", redactLoose(s))
}

func hasDBSuffix(p string) bool {
	for _, suf := range []string{".db", ".sqlite", ".sqlite3"} {
		if strings.HasSuffix(p, suf) {
			return true
		}
	}
	return false
}

// sqliteDSN builds a modernc.org/sqlite connection string with the pragmas
// the store relies on: WAL (readers never block the writer), a busy timeout,
// foreign keys and synchronous=NORMAL (safe with WAL).
func sqliteDSN(p string) (DSN, error) {
	if p == "" {
		return DSN{}, dsnErr("sqlite: needs a path, e.g. sqlite:reporting.db")
	}
	path, query, _ := strings.Cut(strings.TrimPrefix(p, "file:"), "?")
	if path == "" {
		return DSN{}, dsnErr("sqlite: needs a path, e.g. sqlite:reporting.db")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return DSN{}, dsnErr("sqlite: bad options %q: %v", query, err)
	}
	pragmas := map[string]bool{}
	for _, v := range q["_pragma"] {
		name, _, _ := strings.Cut(v, "(")
		pragmas[strings.ToLower(name)] = true
	}
	for _, def := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		name, _, _ := strings.Cut(def, "(")
		if path == ":memory:" && name == "journal_mode" {
			continue
		}
		if !pragmas[name] {
			q.Add("_pragma", def)
		}
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate") // writers take the lock at BEGIN: no upgrade deadlocks
	}
	conn := "file:" + path + "?" + q.Encode()
	return DSN{Dialect: DialectSQLite, Driver: "sqlite", Conn: conn, Redacted: conn}, nil
}

func postgresURL(s string) (DSN, error) {
	u, err := url.Parse(s)
	if err != nil {
		return DSN{}, dsnErr("postgres: %v", urlErrReason(err))
	}
	if u.Host == "" && u.Query().Get("host") == "" {
		return DSN{}, dsnErr("postgres: no host in %q", u.Redacted())
	}
	return DSN{Dialect: DialectPostgres, Driver: "pgx", Conn: s, Redacted: redactURL(u)}, nil
}

// redactURL hides the password of a URL's user info and of its query
// (?password=, as pgx and go-mssqldb accept).
func redactURL(u *url.URL) string {
	c := *u
	q := c.Query()
	changed := false
	for k := range q {
		if lk := strings.ToLower(k); lk == "password" || lk == "pwd" {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		c.RawQuery = q.Encode()
	}
	return c.Redacted()
}

func sqlserverURL(s string) (DSN, error) {
	u, err := url.Parse(s)
	if err != nil {
		return DSN{}, dsnErr("sqlserver: %v", urlErrReason(err))
	}
	if u.Host == "" {
		return DSN{}, dsnErr("sqlserver: no host in %q", u.Redacted())
	}
	return DSN{Dialect: DialectSQLServer, Driver: "sqlserver", Conn: s, Redacted: redactURL(u)}, nil
}

// urlErrReason drops the URL (and its password) from a url.Parse error.
func urlErrReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "cannot be parsed"
}

// keywordDSN reads "Key=Value;Key=Value" strings (ADO.NET, Npgsql).
func keywordDSN(s, storage string) (DSN, error) {
	kv := map[string]string{}
	var order []string
	for i, part := range splitKeywords(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			// The part may be the tail of a password: never echo it.
			return DSN{}, dsnErr("part %d is not Key=Value (quote values that contain ';')", i+1)
		}
		key := normKey(k)
		if key == "" {
			return DSN{}, dsnErr("empty key in a Key=Value string")
		}
		if _, dup := kv[key]; !dup {
			order = append(order, key)
		}
		kv[key] = unquote(strings.TrimSpace(v))
	}
	dialect, err := StorageDialect(storage)
	if err != nil {
		return DSN{}, err
	}
	if _, ok := kv["host"]; ok {
		dialect = DialectPostgres
	}
	switch dialect {
	case DialectPostgres:
		return npgsqlDSN(kv, order)
	case DialectSQLServer:
		return adoDSN(kv, order)
	}
	if p := kv["datasource"]; p != "" {
		return sqliteDSN(p)
	}
	return DSN{}, dsnErr("STORAGE=sqlite needs sqlite:PATH or Data Source=PATH")
}

// splitKeywords splits on ';' outside double or single quotes.
func splitKeywords(s string) []string {
	var parts []string
	var quote rune
	start := 0
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == ';':
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// normKey lower-cases a keyword and drops spaces and underscores, so "User
// Id", "UserID" and "user_id" are one key; synonyms map to one name.
func normKey(k string) string {
	k = strings.ToLower(strings.NewReplacer(" ", "", "_", "").Replace(strings.TrimSpace(k)))
	switch k {
	case "server", "address", "addr", "networkaddress", "datasource":
		if k == "datasource" {
			return "datasource"
		}
		return "server"
	case "host":
		return "host"
	case "database", "initialcatalog", "db":
		return "database"
	case "userid", "uid", "user", "username":
		return "user"
	case "password", "pwd":
		return "password"
	}
	return k
}

// redactLoose hides anything after a password keyword in an unparsed string.
func redactLoose(s string) string {
	l := strings.ToLower(s)
	for _, k := range []string{"password", "pwd"} {
		if i := strings.Index(l, k); i >= 0 {
			return s[:i] + k + "=xxxxx"
		}
	}
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}

// adoDSN turns an ADO.NET SqlClient string into a sqlserver:// URL.
func adoDSN(kv map[string]string, order []string) (DSN, error) {
	server := kv["server"]
	if server == "" {
		server = kv["datasource"]
	}
	if server == "" {
		return DSN{}, dsnErr("sqlserver: no Server= in the connection string")
	}
	server = strings.TrimPrefix(strings.TrimPrefix(server, "tcp:"), "TCP:")
	host, port, instance := server, "", ""
	if h, p, ok := strings.Cut(server, ","); ok {
		host, port = strings.TrimSpace(h), strings.TrimSpace(p)
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return DSN{}, dsnErr("sqlserver: port %q in Server= is not a number from 1 to 65535", port)
		}
	}
	if h, inst, ok := strings.Cut(host, `\`); ok {
		host, instance = h, inst
	}
	if p := kv["port"]; p != "" && port == "" {
		port = p
	}
	u := url.URL{Scheme: "sqlserver", Host: host}
	if port != "" {
		u.Host = host + ":" + port
	}
	if instance != "" {
		u.Path = "/" + instance
	}
	if kv["user"] != "" {
		u.User = url.UserPassword(kv["user"], kv["password"])
	}
	q := url.Values{}
	if kv["database"] != "" {
		q.Set("database", kv["database"])
	}
	for _, k := range order {
		v := kv[k]
		switch k {
		case "server", "datasource", "database", "user", "password", "port",
			"multipleactiveresultsets", "persistsecurityinfo", "pooling", "minpoolsize", "maxpoolsize":
			// MARS and pooling are ADO.NET client features; database/sql pools itself.
		case "encrypt":
			q.Set("encrypt", strings.ToLower(v))
		case "trustservercertificate":
			q.Set("TrustServerCertificate", strings.ToLower(v))
		case "connecttimeout", "connectiontimeout", "timeout":
			q.Set("connection timeout", v)
		case "applicationname", "app":
			q.Set("app name", v)
		case "integratedsecurity", "trustedconnection":
			if strings.EqualFold(v, "true") || strings.EqualFold(v, "sspi") || strings.EqualFold(v, "yes") {
				return DSN{}, dsnErr("sqlserver: Integrated Security is not supported; give User Id and Password")
			}
		default:
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return DSN{Dialect: DialectSQLServer, Driver: "sqlserver", Conn: u.String(), Redacted: redactURL(&u)}, nil
}

// npgsqlDSN turns an Npgsql (or ADO-style with STORAGE=pgsql) string into a
// postgres:// URL for pgx.
func npgsqlDSN(kv map[string]string, order []string) (DSN, error) {
	host := kv["host"]
	if host == "" {
		host = kv["server"]
	}
	if host == "" {
		return DSN{}, dsnErr("postgres: no Host= (or Server=) in the connection string")
	}
	port := kv["port"]
	if h, p, ok := strings.Cut(host, ","); ok { // ADO style Server=host,port
		host, port = strings.TrimSpace(h), strings.TrimSpace(p)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return DSN{}, dsnErr("postgres: port %q is not a number from 1 to 65535", port)
		}
	}
	u := url.URL{Scheme: "postgres", Host: host}
	if port != "" {
		u.Host = host + ":" + port
	}
	if kv["database"] != "" {
		u.Path = "/" + kv["database"]
	}
	if kv["user"] != "" {
		u.User = url.UserPassword(kv["user"], kv["password"])
	}
	q := url.Values{}
	for _, k := range order {
		v := kv[k]
		switch k {
		case "host", "server", "port", "database", "user", "password",
			"multipleactiveresultsets", "pooling", "minpoolsize", "maxpoolsize", "persistsecurityinfo":
		case "sslmode":
			q.Set("sslmode", npgsqlSSLMode(v))
		case "timeout", "connecttimeout", "connectiontimeout":
			q.Set("connect_timeout", v)
		case "searchpath":
			q.Set("search_path", v)
		case "applicationname":
			q.Set("application_name", v)
		case "trustservercertificate":
			// Npgsql: skip certificate validation; pgx: sslmode=require does the same.
			if strings.EqualFold(v, "true") && q.Get("sslmode") == "" {
				q.Set("sslmode", "require")
			}
		case "commandtimeout", "keepalive", "includeerrordetail", "maxautoprepare", "servercompatibilitymode", "enlist":
			// Npgsql client settings with no pgx equivalent.
		default:
			return DSN{}, dsnErr("postgres: unsupported keyword %q", k)
		}
	}
	u.RawQuery = q.Encode()
	return DSN{Dialect: DialectPostgres, Driver: "pgx", Conn: u.String(), Redacted: redactURL(&u)}, nil
}

func npgsqlSSLMode(v string) string {
	switch strings.ToLower(v) {
	case "disable":
		return "disable"
	case "allow":
		return "allow"
	case "prefer":
		return "prefer"
	case "require":
		return "require"
	case "verifyca", "verify-ca":
		return "verify-ca"
	case "verifyfull", "verify-full":
		return "verify-full"
	}
	return strings.ToLower(v)
}
