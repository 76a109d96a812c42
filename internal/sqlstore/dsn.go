package sqlstore

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/microsoft/go-mssqldb/msdsn"
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
	// password is the password in Conn, scrubbed from driver errors.
	password string
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
		if !schemeLike.MatchString(scheme + ":") {
			return DSN{}, dsnErr("cannot tell the database from %q: use sqlite:PATH, a .db path, postgres://…, sqlserver://… or a Key=Value;… string", Redact(s))
		}
		return DSN{}, dsnErr("unknown scheme %q (want sqlite:, postgres://, postgresql:// or sqlserver://)", scheme)
	case strings.Contains(s, "="):
		return keywordDSN(s, storage)
	case s == ":memory:" || hasDBSuffix(lower):
		return sqliteDSN(s)
	}
	return DSN{}, dsnErr("cannot tell the database from %q: use sqlite:PATH, a .db path, postgres://…, sqlserver://… or a Key=Value;… string", Redact(s))
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
		return DSN{}, dsnErr("postgres: no host in %q", Redact(s))
	}
	return checked(DSN{Dialect: DialectPostgres, Driver: "pgx", Conn: s}, urlPassword(u))
}

// urlPassword is the password of a URL's user info or query.
func urlPassword(u *url.URL) string {
	if p, ok := u.User.Password(); ok {
		return p
	}
	for k, v := range u.Query() {
		if lk := strings.ToLower(k); (lk == "password" || lk == "pwd") && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func sqlserverURL(s string) (DSN, error) {
	u, err := url.Parse(s)
	if err != nil {
		return DSN{}, dsnErr("sqlserver: %v", urlErrReason(err))
	}
	if u.Host == "" {
		return DSN{}, dsnErr("sqlserver: no host in %q", Redact(s))
	}
	return checked(DSN{Dialect: DialectSQLServer, Driver: "sqlserver", Conn: s}, urlPassword(u))
}

// urlErrReason drops the URL (and its password) from a url.Parse error.
func urlErrReason(err error) string {
	var ee url.EscapeError
	if errors.As(err, &ee) {
		// The bad escape may be part of the password: not shown.
		return "invalid %-escape (percent-encode '%' and other special characters of the password)"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "cannot be parsed"
}

// keywords is a parsed "Key=Value;…" string: values by normalised key
// (normKey), the keys in order, and which key came right after a password
// (it may be the tail of a password that held a ';').
type keywords struct {
	kv            map[string]string
	order         []string
	afterPassword map[string]bool
}

func parseKeywords(s string) (keywords, error) {
	kw := keywords{kv: map[string]string{}, afterPassword: map[string]bool{}}
	prev := ""
	for i, part := range splitKeywords(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			// The part may be the tail of a password: never echo it.
			return keywords{}, dsnErr("part %d is not Key=Value (quote values that contain ';')", i+1)
		}
		key := normKey(k)
		if key == "" {
			return keywords{}, dsnErr("empty key in a Key=Value string")
		}
		if _, dup := kw.kv[key]; !dup {
			kw.order = append(kw.order, key)
		}
		kw.kv[key] = unquote(strings.TrimSpace(v))
		kw.afterPassword[key] = prev == "password"
		prev = key
	}
	return kw, nil
}

// unknown is the error for a keyword the dialect does not take: it names
// the key, never a value, and not even the key when it follows a password
// (it may be the password's tail).
func (kw keywords) unknown(dialect, key string) error {
	if kw.afterPassword[key] {
		return dsnErr("%s: the keyword after Password= is not one it takes (quote a password that contains ';')", dialect)
	}
	return dsnErr("%s: unsupported keyword %q", dialect, key)
}

// keywordDSN reads "Key=Value;Key=Value" strings (ADO.NET, Npgsql).
func keywordDSN(s, storage string) (DSN, error) {
	kw, err := parseKeywords(s)
	if err != nil {
		return DSN{}, err
	}
	dialect, err := StorageDialect(storage)
	if err != nil {
		return DSN{}, err
	}
	if _, ok := kw.kv["host"]; ok {
		dialect = DialectPostgres
	}
	return dialects[dialect].keywordDSN(kw)
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

// adoKeywords maps the ADO.NET SqlClient keywords the store takes (after
// normKey) to go-mssqldb's parameter names; "" marks client-side settings
// with nothing to pass on (MARS, pooling: database/sql pools itself).
// Server, database, user and password go into the URL itself.
var adoKeywords = map[string]string{
	"server": "", "datasource": "", "database": "", "user": "", "password": "", "port": "",
	"multipleactiveresultsets": "", "persistsecurityinfo": "", "pooling": "", "minpoolsize": "",
	"maxpoolsize": "", "connectretrycount": "", "connectretryinterval": "", "loadbalancetimeout": "",
	"connectionlifetime": "", "enlist": "", "commandtimeout": "", "integratedsecurity": "", "trustedconnection": "",
	"encrypt": "encrypt", "trustservercertificate": "TrustServerCertificate",
	"connecttimeout": "connection timeout", "connectiontimeout": "connection timeout", "timeout": "connection timeout",
	"applicationname": "app name", "app": "app name", "workstationid": "workstation id", "wsid": "workstation id",
	"applicationintent": "ApplicationIntent", "multisubnetfailover": "MultiSubnetFailover",
	"packetsize": "packet size", "failoverpartner": "failoverpartner", "hostnameincertificate": "hostnameincertificate",
}

// adoDSN turns an ADO.NET SqlClient string into a sqlserver:// URL. Only
// the keywords of adoKeywords are taken; any other is refused by name.
func adoDSN(kw keywords) (DSN, error) {
	kv := kw.kv
	for _, k := range kw.order {
		if _, ok := adoKeywords[k]; !ok {
			return DSN{}, kw.unknown("sqlserver", k)
		}
	}
	if v := strings.ToLower(firstNonEmpty(kv["integratedsecurity"], kv["trustedconnection"])); v == "true" || v == "sspi" || v == "yes" {
		return DSN{}, dsnErr("sqlserver: Integrated Security is not supported; give User Id and Password")
	}
	u, err := adoServerURL(firstNonEmpty(kv["server"], kv["datasource"]), kv["port"])
	if err != nil {
		return DSN{}, err
	}
	if kv["user"] != "" {
		u.User = url.UserPassword(kv["user"], kv["password"])
	}
	q := url.Values{}
	if kv["database"] != "" {
		q.Set("database", kv["database"])
	}
	for _, k := range kw.order {
		name, v := adoKeywords[k], kv[k]
		switch {
		case name == "":
		case k == "encrypt" || k == "trustservercertificate":
			q.Set(name, strings.ToLower(v))
		default:
			q.Set(name, v)
		}
	}
	u.RawQuery = q.Encode()
	return checked(DSN{Dialect: DialectSQLServer, Driver: "sqlserver", Conn: u.String()}, kv["password"])
}

// adoServerURL reads ADO.NET's Server=[tcp:]host[\instance][,port].
func adoServerURL(server, port string) (*url.URL, error) {
	if server == "" {
		return nil, dsnErr("sqlserver: no Server= in the connection string")
	}
	server = strings.TrimPrefix(strings.TrimPrefix(server, "tcp:"), "TCP:")
	host, instance := server, ""
	if h, p, ok := strings.Cut(server, ","); ok {
		host, port = strings.TrimSpace(h), strings.TrimSpace(p)
	}
	if h, inst, ok := strings.Cut(host, `\`); ok {
		host, instance = h, inst
	}
	hp, err := hostPort("sqlserver", host, port)
	if err != nil {
		return nil, err
	}
	u := &url.URL{Scheme: "sqlserver", Host: hp}
	if instance != "" {
		u.Path = "/" + instance
	}
	return u, nil
}

// hostPort is host:port for a URL (host alone without a port); a port
// must be a number from 1 to 65535.
func hostPort(dialect, host, port string) (string, error) {
	if port == "" {
		return host, nil
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", dsnErr("%s: port %q is not a number from 1 to 65535", dialect, port)
	}
	return host + ":" + port, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// npgsqlDSN turns an Npgsql (or ADO-style with STORAGE=pgsql) string into a
// postgres:// URL for pgx.
func npgsqlDSN(kw keywords) (DSN, error) {
	kv := kw.kv
	host := firstNonEmpty(kv["host"], kv["server"])
	if host == "" {
		return DSN{}, dsnErr("postgres: no Host= (or Server=) in the connection string")
	}
	port := kv["port"]
	if h, p, ok := strings.Cut(host, ","); ok { // ADO style Server=host,port
		host, port = strings.TrimSpace(h), strings.TrimSpace(p)
	}
	hp, err := hostPort("postgres", host, port)
	if err != nil {
		return DSN{}, err
	}
	u := url.URL{Scheme: "postgres", Host: hp}
	if kv["database"] != "" {
		u.Path = "/" + kv["database"]
	}
	if kv["user"] != "" {
		u.User = url.UserPassword(kv["user"], kv["password"])
	}
	q, err := npgsqlQuery(kw)
	if err != nil {
		return DSN{}, err
	}
	u.RawQuery = q.Encode()
	return checked(DSN{Dialect: DialectPostgres, Driver: "pgx", Conn: u.String()}, kv["password"])
}

// npgsqlQuery maps Npgsql's settings to libpq's (pgx reads libpq's names).
func npgsqlQuery(kw keywords) (url.Values, error) {
	q := url.Values{}
	for _, k := range kw.order {
		v := kw.kv[k]
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
			return nil, kw.unknown("postgres", k)
		}
	}
	return q, nil
}

// npgsqlSSLMode spells Npgsql's SSL Mode as libpq does (VerifyCA:
// verify-ca, VerifyFull: verify-full); pgconn.ParseConfig (checked)
// refuses a mode libpq does not have.
func npgsqlSSLMode(v string) string {
	v = strings.ToLower(v)
	if rest, ok := strings.CutPrefix(v, "verify"); ok && rest != "" && rest[0] != '-' {
		return "verify-" + rest
	}
	return v
}

// checked fills in the redacted form and the password of d and has the
// driver's own parser read d.Conn. The keyword lists (adoKeywords,
// npgsqlQuery) stay ours: neither parser refuses an unknown keyword (pgx
// sends unknown settings to the server as run-time parameters, go-mssqldb
// ignores them), and an unknown one must be refused by name.
//
// The parsers (pgconn.ParseConfig for pgx, msdsn.Parse for go-mssqldb)
// refuse here already what the driver would refuse when connecting: in
// ParseDSN, and so in `run --check` as in `migrate`. Their errors never
// show the password.
func checked(d DSN, password string) (DSN, error) {
	d.Redacted, d.password = Redact(d.Conn), password
	var err error
	switch d.Driver {
	case "pgx":
		_, err = pgconn.ParseConfig(d.Conn)
	case "sqlserver":
		_, err = msdsn.Parse(d.Conn)
	}
	if err != nil {
		return DSN{}, dsnErr("%s: %s", d.Dialect, scrub(driverReason(err), password))
	}
	return d, nil
}

// driverReason is a parser's error without the connection string that
// pgconn puts in it ("cannot parse `…`: reason").
func driverReason(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		msg := strings.ReplaceAll(err.Error(), Redact(pe.ConnString), "")
		if _, after, ok := strings.Cut(msg, "`: "); ok {
			return after
		}
		return scrub(msg, pe.ConnString)
	}
	return err.Error()
}
