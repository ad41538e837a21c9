package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/storage"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// cli runs the gatehouse CLI in-process against a config in a temp dir.
type cli struct {
	t      *testing.T
	dir    string
	config string
	env    map[string]string
}

// newCLI writes a config file with its database in t.TempDir().
func newCLI(t *testing.T) *cli {
	t.Helper()
	dir := t.TempDir()
	c := &cli{t: t, dir: dir, config: filepath.Join(dir, "gatehouse.yaml"), env: map[string]string{}}
	c.writeConfig(fmt.Sprintf(`issuer: http://127.0.0.1:8080
database: %s
secret: %s
bcrypt_cost: 4
dev: true
keys:
  algorithm: ES256
`, filepath.Join(dir, "gatehouse.db"), testSecret))
	// Only migrate creates a database: the other commands refuse a
	// missing one (a mistyped path).
	c.ok("migrate")
	return c
}

// with returns the same CLI reporting to t (for subtests).
func (c *cli) with(t *testing.T) *cli {
	cc := *c
	cc.t = t
	return &cc
}

func (c *cli) writeConfig(content string) {
	c.t.Helper()
	if err := os.WriteFile(c.config, []byte(content), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cli) lookup(k string) (string, bool) {
	v, ok := c.env[k]
	return v, ok
}

// raw runs the CLI with exactly these arguments.
func (c *cli) raw(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, c.lookup)
	return code, out.String(), errb.String()
}

// ok runs a command with --config appended, expects exit 0 and exactly one
// JSON object on stdout, and returns it.
func (c *cli) ok(args ...string) map[string]any {
	c.t.Helper()
	code, stdout, stderr := c.raw(append(args, "--config", c.config)...)
	if code != 0 {
		c.t.Fatalf("gatehouse %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
	}
	if stderr != "" {
		c.t.Errorf("gatehouse %s: unexpected stderr %q", strings.Join(args, " "), stderr)
	}
	return oneJSONObject(c.t, stdout)
}

// okText is ok returning the raw stdout too.
func (c *cli) okText(args ...string) (map[string]any, string) {
	c.t.Helper()
	code, stdout, stderr := c.raw(append(args, "--config", c.config)...)
	if code != 0 {
		c.t.Fatalf("gatehouse %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
	}
	return oneJSONObject(c.t, stdout), stdout
}

// fails runs a command with --config appended and expects exit 1, nothing
// on stdout and exactly one line on stderr containing want.
func (c *cli) fails(want string, args ...string) string {
	c.t.Helper()
	code, stdout, stderr := c.raw(append(args, "--config", c.config)...)
	checkOneLineError(c.t, strings.Join(args, " "), code, stdout, stderr, want)
	return stderr
}

func checkOneLineError(t *testing.T, what string, code int, stdout, stderr, want string) {
	t.Helper()
	if code != 1 {
		t.Errorf("gatehouse %s: exit %d, want 1 (stderr %q)", what, code, stderr)
	}
	if stdout != "" {
		t.Errorf("gatehouse %s: stdout %q, want nothing on error", what, stdout)
	}
	if !strings.HasSuffix(stderr, "\n") || strings.Count(stderr, "\n") != 1 || strings.TrimSpace(stderr) == "" {
		t.Errorf("gatehouse %s: stderr is not exactly one line: %q", what, stderr)
	}
	if !strings.Contains(strings.ToLower(stderr), strings.ToLower(want)) {
		t.Errorf("gatehouse %s: stderr %q does not contain %q", what, stderr, want)
	}
}

func oneJSONObject(t *testing.T, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout holds more than one JSON value: %q", stdout)
	}
	return obj
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON array", v, v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i], ok = x.(string)
		if !ok {
			t.Fatalf("%v is not a string", x)
		}
	}
	return out
}

func list(t *testing.T, obj map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := obj[key].([]any)
	if !ok {
		t.Fatalf("%q is not a JSON array in %v", key, obj)
	}
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		if out[i], ok = x.(map[string]any); !ok {
			t.Fatalf("%v is not an object", x)
		}
	}
	return out
}

func TestMigrateIsIdempotent(t *testing.T) {
	c := newCLI(t)
	for i := 0; i < 2; i++ {
		out := c.ok("migrate")
		if out["status"] != "migrated" {
			t.Errorf("migrate #%d printed %v", i+1, out)
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "gatehouse.db")); err != nil {
		t.Errorf("database not created in the configured place: %v", err)
	}
	c.fails("unexpected argument", "migrate", "extra")
}

func TestConfigFlagAnyPosition(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"--config", c.config, "migrate"},
		{"migrate", "--config", c.config},
		{"--config=" + c.config, "migrate"},
		{"migrate", "--config=" + c.config},
		{"-config", c.config, "migrate"},
	} {
		code, stdout, stderr := c.raw(args...)
		if code != 0 {
			t.Errorf("gatehouse %v: exit %d, stderr %q", args, code, stderr)
			continue
		}
		oneJSONObject(t, stdout)
	}
	// Between a command and its subcommand, and among subcommand flags.
	for _, args := range [][]string{
		{"clients", "--config", c.config, "list"},
		{"clients", "list", "--config", c.config, "--limit", "5"},
		{"users", "list", "--limit", "5", "--config", c.config},
		{"--config", c.config, "keys", "list"},
	} {
		code, stdout, stderr := c.raw(args...)
		if code != 0 {
			t.Errorf("gatehouse %v: exit %d, stderr %q", args, code, stderr)
			continue
		}
		oneJSONObject(t, stdout)
	}
	// --config without a file.
	code, stdout, stderr := c.raw("migrate", "--config")
	checkOneLineError(t, "migrate --config", code, stdout, stderr, "--config")
}

func TestConfigFromEnv(t *testing.T) {
	c := newCLI(t)
	c.env["GATEHOUSE_CONFIG"] = c.config
	code, stdout, stderr := c.raw("migrate")
	if code != 0 {
		t.Fatalf("migrate with GATEHOUSE_CONFIG: exit %d, stderr %q", code, stderr)
	}
	oneJSONObject(t, stdout)

	// GATEHOUSE_<KEY> overrides the file.
	other := filepath.Join(c.dir, "other", "g.db")
	if err := os.Mkdir(filepath.Dir(other), 0o700); err != nil {
		t.Fatal(err)
	}
	c.env["GATEHOUSE_DATABASE"] = other
	if code, _, stderr := c.raw("migrate"); code != 0 {
		t.Fatalf("migrate with GATEHOUSE_DATABASE: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("GATEHOUSE_DATABASE was not used: %v", err)
	}
}

func TestInvalidConfigIsOneLine(t *testing.T) {
	c := newCLI(t)
	c.writeConfig(fmt.Sprintf(`issuer: not-a-url
database: %s
secret: short
log_level: loud
keys:
  algorithm: none
`, filepath.Join(c.dir, "g.db")))
	for _, cmd := range [][]string{{"migrate"}, {"clients", "list"}, {"serve"}} {
		stderr := c.fails("invalid configuration", cmd...)
		for _, s := range []string{"issuer", "secret", "log_level", "keys.algorithm"} {
			if !strings.Contains(stderr, s) {
				t.Errorf("%v: stderr %q does not report %s", cmd, stderr, s)
			}
		}
	}

	c.writeConfig("issuer: https://id.example.com\nno_such_key: 1\n")
	c.fails("no_such_key", "migrate")

	c.writeConfig("lifetimes: {access_token: 15 minutes}\n")
	c.fails("15 minutes", "migrate")

	code, stdout, stderr := c.raw("migrate", "--config", filepath.Join(c.dir, "missing.yaml"))
	checkOneLineError(t, "migrate --config missing", code, stdout, stderr, "missing.yaml")
}

func TestUnknownCommand(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"frobnicate"},
		{"clients"},
		{"clients", "frob"},
		{"users", "delete"},
		{"keys", "destroy"},
	} {
		code, stdout, stderr := c.raw(append(args, "--config", c.config)...)
		if code == 0 {
			t.Errorf("gatehouse %v: exit 0, want non-zero", args)
		}
		checkOneLineError(t, strings.Join(args, " "), code, stdout, stderr, "")
	}
	// No command at all: usage, non-zero.
	if code, _, stderr := c.raw(); code == 0 || !strings.Contains(stderr, "usage") {
		t.Errorf("no command: exit %d, stderr %q", code, stderr)
	}
	// help goes to stdout with exit 0.
	if code, stdout, _ := c.raw("help"); code != 0 || !strings.Contains(stdout, "clients create") {
		t.Errorf("help: exit %d, stdout %q", code, stdout)
	}
}

func TestClients(t *testing.T) {
	c := newCLI(t)

	// Generated secret, shown once.
	out := c.ok("clients", "create", "--id", "web",
		"--redirect-uri", "https://app.example.com/callback",
		"--redirect-uri", "http://127.0.0.1:3000/cb",
		"--grant-type", "authorization_code", "--grant-type", "refresh_token",
		"--scope", "openid,profile", "--scope", "email",
		"--post-logout-redirect-uri", "https://app.example.com/bye")
	generated, _ := out["client_secret"].(string)
	if len(generated) < 43 {
		t.Fatalf("generated secret %q is shorter than 43 characters", generated)
	}
	if out["client_id"] != "web" || out["public"] != false {
		t.Errorf("clients create printed %v", out)
	}
	if got := strs(t, out["redirect_uris"]); !slices.Equal(got, []string{"https://app.example.com/callback", "http://127.0.0.1:3000/cb"}) {
		t.Errorf("redirect_uris = %v", got)
	}
	if got := strs(t, out["scopes"]); !slices.Equal(got, []string{"openid", "profile", "email"}) {
		t.Errorf("scopes = %v", got)
	}
	if got := strs(t, out["post_logout_redirect_uris"]); !slices.Equal(got, []string{"https://app.example.com/bye"}) {
		t.Errorf("post_logout_redirect_uris = %v", got)
	}

	// A second client gets a different generated secret.
	out2 := c.ok("clients", "create", "--id", "svc", "--grant-type", "client_credentials")
	if s, _ := out2["client_secret"].(string); len(s) < 43 || s == generated {
		t.Errorf("second generated secret %q (first %q)", s, generated)
	}
	if out2["introspect_any"] != false {
		t.Errorf("introspect_any defaults to %v, want false", out2["introspect_any"])
	}

	// An operator-chosen secret of 32+ characters is accepted; this one
	// registers a resource server, which may introspect any token.
	chosen := c.ok("clients", "create", "--id", "chosen", "--secret", strings.Repeat("s", 32), "--grant-type", "client_credentials", "--introspect-any")
	if chosen["introspect_any"] != true {
		t.Errorf("--introspect-any printed %v", chosen["introspect_any"])
	}

	// The grant settings (issue 16); the client is deleted again so the
	// counts below hold.
	broker := c.ok("clients", "create", "--id", "broker", "--grant-type", "urn:ietf:params:oauth:grant-type:token-exchange",
		"--require-par", "--require-dpop", "--allow-impersonation")
	if broker["require_pushed_authorization_requests"] != true || broker["dpop_bound_access_tokens"] != true || broker["allow_impersonation"] != true {
		t.Errorf("--require-par --require-dpop --allow-impersonation printed %v", broker)
	}
	c.ok("clients", "delete", "--id", "broker")

	// A public client has no secret.
	pub := c.ok("clients", "create", "--id", "spa", "--public", "--redirect-uri", "http://localhost:5173/cb")
	if pub["public"] != true {
		t.Errorf("public client printed %v", pub)
	}
	if _, has := pub["client_secret"]; has {
		t.Errorf("public client printed a secret: %v", pub)
	}

	// List never shows secrets or hashes.
	listed, text := c.okText("clients", "list")
	clients := list(t, listed, "clients")
	if len(clients) != 4 {
		t.Errorf("clients list shows %d clients, want 4: %s", len(clients), text)
	}
	if strings.Contains(text, generated) || strings.Contains(text, strings.Repeat("s", 32)) {
		t.Errorf("clients list prints a secret: %s", text)
	}
	if lower := strings.ToLower(text); strings.Contains(lower, "secret") || strings.Contains(lower, "hash") {
		t.Errorf("clients list mentions a secret or hash: %s", text)
	}
	var ids []string
	for _, cl := range clients {
		ids = append(ids, cl["client_id"].(string))
	}
	for _, id := range []string{"web", "svc", "chosen", "spa"} {
		if !slices.Contains(ids, id) {
			t.Errorf("clients list misses %q: %v", id, ids)
		}
	}

	// Validation errors: exit 1, one line, nothing on stdout.
	redirect := []string{"--redirect-uri", "https://app.example.com/cb"}
	cases := []struct {
		name string
		want string
		args []string
	}{
		{"duplicate id", "already exists", append([]string{"--id", "web"}, redirect...)},
		{"short secret", "at least 32", append([]string{"--id", "short", "--secret", strings.Repeat("x", 31)}, redirect...)},
		{"secret and public", "not both", append([]string{"--id", "both", "--public", "--secret", strings.Repeat("x", 40)}, redirect...)},
		{"missing id", "id", redirect},
		{"bad id", "client id", append([]string{"--id", "has space"}, redirect...)},
		{"relative redirect", "absolute", []string{"--id", "r1", "--redirect-uri", "/callback"}},
		{"redirect without scheme", "absolute", []string{"--id", "r2", "--redirect-uri", "app.example.com/cb"}},
		{"redirect with fragment", "fragment", []string{"--id", "r3", "--redirect-uri", "https://app.example.com/cb#frag"}},
		{"redirect empty fragment", "fragment", []string{"--id", "r4", "--redirect-uri", "https://app.example.com/cb#"}},
		{"redirect http non-loopback", "loopback", []string{"--id", "r5", "--redirect-uri", "http://app.example.com/cb"}},
		{"redirect javascript", "not allowed", []string{"--id", "r6", "--redirect-uri", "javascript:alert(1)"}},
		{"post-logout http non-loopback", "loopback", append([]string{"--id", "r7", "--post-logout-redirect-uri", "http://app.example.com/bye"}, redirect...)},
		{"unknown grant type", "unknown grant type", append([]string{"--id", "g1", "--grant-type", "implicit"}, redirect...)},
		{"authorization_code without redirect", "redirect uri", []string{"--id", "g2", "--grant-type", "authorization_code"}},
		{"default grants without redirect", "redirect uri", []string{"--id", "g3"}},
		{"public client_credentials", "client_credentials", []string{"--id", "g4", "--public", "--grant-type", "client_credentials"}},
		{"public introspect-any", "confidential", append([]string{"--id", "g5", "--public", "--introspect-any"}, redirect...)},
		{"bad scope", "scope", append([]string{"--id", "s1", "--scope", `a"b`}, redirect...)},
		{"unknown flag", "flag", append([]string{"--id", "f1", "--colour", "red"}, redirect...)},
		{"stray argument", "unexpected argument", append([]string{"--id", "f2", "stray"}, redirect...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.with(t).fails(tc.want, append([]string{"clients", "create"}, tc.args...)...)
		})
	}

	// No failed create left anything behind.
	after := list(t, c.ok("clients", "list"), "clients")
	if len(after) != 4 {
		t.Errorf("after failed creates: %d clients, want 4", len(after))
	}

	// Delete, then delete again.
	if del := c.ok("clients", "delete", "--id", "web"); del["deleted"] != "web" {
		t.Errorf("clients delete printed %v", del)
	}
	c.fails("web", "clients", "delete", "--id", "web")
	c.fails("--id", "clients", "delete")
	if n := len(list(t, c.ok("clients", "list"), "clients")); n != 3 {
		t.Errorf("after delete: %d clients, want 3", n)
	}
	// The id is free again.
	c.ok("clients", "create", "--id", "web", "--redirect-uri", "https://app.example.com/cb")
}

func TestUsers(t *testing.T) {
	c := newCLI(t)

	out, text := c.okText("users", "create", "--email", "  Alice@Example.COM ", "--password", "correct horse", "--name", "Alice", "--role", "admin")
	if out["email"] != "alice@example.com" {
		t.Errorf("email = %v, want alice@example.com", out["email"])
	}
	if out["email_verified"] != true {
		t.Errorf("email_verified = %v, want true", out["email_verified"])
	}
	if out["name"] != "Alice" || out["disabled"] != false {
		t.Errorf("users create printed %v", out)
	}
	if id, _ := out["id"].(string); id == "" {
		t.Errorf("no id in %v", out)
	}
	roles := strs(t, out["roles"])
	if !slices.Contains(roles, "admin") || !slices.Contains(roles, "user") {
		t.Errorf("roles = %v, want admin and user", roles)
	}
	if lower := strings.ToLower(text); strings.Contains(lower, "password") || strings.Contains(lower, "hash") || strings.Contains(text, "correct horse") {
		t.Errorf("users create prints password material: %s", text)
	}

	bob := c.ok("users", "create", "--email", "bob@example.com", "--password", "bob s own passphrase", "--name", "Bob")
	if got := strs(t, bob["roles"]); !slices.Equal(got, []string{"user"}) {
		t.Errorf("default roles = %v, want [user]", got)
	}

	cases := []struct {
		name string
		want string
		args []string
	}{
		{"duplicate email", "already exists", []string{"--email", "ALICE@example.com", "--password", "another pass", "--name", "Alice 2"}},
		{"weak password", "at least 8", []string{"--email", "c@example.com", "--password", "1234567", "--name", "C"}},
		{"missing password", "password", []string{"--email", "c@example.com", "--name", "C"}},
		{"password over 72 bytes", "72", []string{"--email", "c@example.com", "--password", strings.Repeat("p", 73), "--name", "C"}},
		{"password over 72 bytes multibyte", "72", []string{"--email", "c@example.com", "--password", strings.Repeat("é", 37), "--name", "C"}},
		{"bad email", "email", []string{"--email", "not-an-email", "--password", "long enough", "--name", "C"}},
		{"email with display name", "email", []string{"--email", "C <c@example.com>", "--password", "long enough", "--name", "C"}},
		{"missing name", "name", []string{"--email", "c@example.com", "--password", "long enough"}},
		{"unknown role", "role", []string{"--email", "c@example.com", "--password", "long enough", "--name", "C", "--role", "Root"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.with(t).fails(tc.want, append([]string{"users", "create"}, tc.args...)...)
		})
	}

	// A flag's value "help" is a value, not a request for the usage.
	if helper := c.ok("users", "create", "--email", "help@example.com", "--password", "long enough", "--name", "help"); helper["name"] != "help" {
		t.Errorf("users create --name help printed %v", helper)
	}

	// Exactly 72 bytes is fine.
	c.ok("users", "create", "--email", "max@example.com", "--password", strings.Repeat("p", 72), "--name", "Max")

	// --password-file keeps the password out of the process list: its
	// first line is the password.
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("from a file 123\r\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("users", "create", "--email", "file@example.com", "--password-file", pwFile, "--name", "File")
	svc, err := accounts.New(c.openStore(), 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(context.Background(), "file@example.com", "from a file 123"); err != nil {
		t.Errorf("the password from the file does not sign in: %v", err)
	}
	c.fails("not both", "users", "create", "--email", "x@example.com", "--password", "long enough", "--password-file", pwFile, "--name", "X")
	c.fails("password-file", "users", "create", "--email", "x@example.com", "--password-file", filepath.Join(t.TempDir(), "missing"), "--name", "X")

	listed, ltext := c.okText("users", "list")
	users := list(t, listed, "users")
	var emails []string
	for _, u := range users {
		emails = append(emails, u["email"].(string))
	}
	slices.Sort(emails)
	if want := []string{"alice@example.com", "bob@example.com", "file@example.com", "help@example.com", "max@example.com"}; !slices.Equal(emails, want) {
		t.Errorf("users list emails = %v, want %v", emails, want)
	}
	if lower := strings.ToLower(ltext); strings.Contains(lower, "password") || strings.Contains(lower, "hash") {
		t.Errorf("users list prints password material: %s", ltext)
	}
	if found := list(t, c.ok("users", "list", "--search", "bob"), "users"); len(found) != 1 || found[0]["email"] != "bob@example.com" {
		t.Errorf("users list --search bob = %v", found)
	}
}

func TestKeys(t *testing.T) {
	c := newCLI(t)

	first := list(t, c.ok("keys", "list"), "keys")
	if len(first) != 1 {
		t.Fatalf("fresh database: %d keys, want 1 (created on first use)", len(first))
	}
	if first[0]["current"] != true {
		t.Errorf("the only key is not current: %v", first[0])
	}

	rotated := c.ok("keys", "rotate")
	id, _ := rotated["id"].(string)
	if id == "" || id == first[0]["id"] {
		t.Errorf("keys rotate printed id %q (old %v)", id, first[0]["id"])
	}
	if rotated["alg"] != "ES256" {
		t.Errorf("alg = %v, want ES256 from the config", rotated["alg"])
	}
	if _, ok := rotated["current"].(bool); !ok {
		t.Errorf("no boolean current in %v", rotated)
	}
	signFrom, _ := rotated["sign_from"].(string)
	if _, err := time.Parse(time.RFC3339Nano, signFrom); err != nil {
		t.Errorf("sign_from %q is not a timestamp: %v", signFrom, err)
	}
	if text := strings.ToLower(fmt.Sprint(rotated)); strings.Contains(text, "private") || strings.Contains(text, "sealed") {
		t.Errorf("keys rotate prints private key material: %v", rotated)
	}

	after := list(t, c.ok("keys", "list"), "keys")
	if len(after) != 2 {
		t.Fatalf("after rotate: %d keys, want 2: %v", len(after), after)
	}
	var ids []string
	current := 0
	for _, k := range after {
		ids = append(ids, k["id"].(string))
		if k["current"] == true {
			current++
		}
	}
	if !slices.Contains(ids, id) || !slices.Contains(ids, first[0]["id"].(string)) {
		t.Errorf("keys list ids %v, want the old and the rotated key", ids)
	}
	if current != 1 {
		t.Errorf("%d keys are current, want exactly 1: %v", current, after)
	}
	c.fails("unexpected argument", "keys", "rotate", "now")
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestServeGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	db := filepath.Join(dir, "gatehouse.db")
	config := filepath.Join(dir, "gatehouse.yaml")
	// Dev mode without a secret: serve must generate and persist one.
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`issuer: http://%s
listen: %s
database: %s
bcrypt_cost: 4
dev: true
log_level: warn
keys:
  algorithm: ES256
`, addr, addr, db)), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", config}, &stdout, &stderr, func(string) (string, bool) { return "", false })
	}()

	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	ready := false
	for !ready {
		select {
		case code := <-done:
			t.Fatalf("serve exited early with %d; stderr:\n%s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("/readyz never answered 200; stderr:\n%s", stderr.String())
		}
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ready = resp.StatusCode == http.StatusOK
		}
		if !ready {
			time.Sleep(50 * time.Millisecond)
		}
	}

	// The issuer's discovery document is served while up.
	resp, err := client.Get("http://" + addr + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc map[string]any
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || disc["issuer"] != "http://"+addr {
		t.Errorf("discovery: %v, issuer %v", err, disc["issuer"])
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve returned %d after cancel, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve did not return after cancel; stderr:\n%s", stderr.String())
	}
	if stdout.String() != "" {
		t.Errorf("serve wrote to stdout: %q", stdout.String())
	}
	fi, err := os.Stat(db + ".secret")
	if err != nil {
		t.Fatalf("dev secret not persisted: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("dev secret mode %o, want 600", fi.Mode().Perm())
	}
	// The listener is closed.
	if ln, err := net.Listen("tcp", addr); err != nil {
		t.Errorf("port still in use after shutdown: %v", err)
	} else {
		ln.Close()
	}
}

func TestServeRejectsArguments(t *testing.T) {
	c := newCLI(t)
	c.fails("unexpected argument", "serve", "now")
}

// TestWrongSecretRefused: an admin command run with another secret than
// the one the database's keys were made with fails clearly instead of
// writing clients the server cannot authenticate.
func TestWrongSecretRefused(t *testing.T) {
	c := newCLI(t)
	c.ok("migrate") // creates the first signing key under testSecret
	c.env["GATEHOUSE_SECRET"] = strings.Repeat("z", 32)
	c.fails("system secret", "clients", "create", "--id", "svc", "--grant-type", "client_credentials")
	delete(c.env, "GATEHOUSE_SECRET")
	c.ok("clients", "create", "--id", "svc", "--grant-type", "client_credentials")
}

// TestHelpTouchesNothing: --help prints the usage and exits 0 without
// reading the configuration or creating a database.
func TestHelpTouchesNothing(t *testing.T) {
	c := newCLI(t)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(filepath.Join(c.dir, "gatehouse.db"+suffix)) // newCLI migrated
	}
	code, stdout, stderr := c.raw("clients", "create", "--help", "--config", c.config)
	if code != 0 || !strings.Contains(stdout, "usage: gatehouse") || stderr != "" {
		t.Fatalf("--help: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "gatehouse.db")); !os.IsNotExist(err) {
		t.Fatalf("--help created the database (stat err %v)", err)
	}
}

// TestJanitor: the janitor command deletes expired rows and reports how
// many; a second run finds nothing.
func TestJanitor(t *testing.T) {
	c := newCLI(t)
	c.ok("migrate")
	store, err := server.OpenStore(context.Background(), filepath.Join(c.dir, "gatehouse.db"), server.Defaults().DatabasePool)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	past := time.Now().Add(-time.Hour)
	if err := store.CreateUser(ctx, storage.User{ID: "u1", Email: "u1@example.com", Name: "U", CreatedAt: past, UpdatedAt: past}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		err := store.CreateBrowserSession(ctx, storage.BrowserSession{ID: fmt.Sprint("s", i), UserID: "u1", AuthTime: past, CreatedAt: past, ExpiresAt: past.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	if got := c.ok("janitor"); got["deleted"] != float64(3) {
		t.Fatalf("janitor: %v, want 3 deleted", got)
	}
	if got := c.ok("janitor"); got["deleted"] != float64(0) {
		t.Fatalf("second janitor: %v, want 0 deleted", got)
	}
}
