package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// devCLI runs the CLI with no config file (dev mode) and the given
// environment.
func devCLI(t *testing.T, env map[string]string) *cli {
	return &cli{t: t, dir: t.TempDir(), env: env}
}

// entries lists dir's contents (names), to check a command wrote nothing.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestMistypedDatabaseRefused: a command other than serve and migrate
// refuses a SQLite database that does not exist, and creates nothing (no
// directory, no file, no secret); migrate creates it.
func TestMistypedDatabaseRefused(t *testing.T) {
	dir := t.TempDir()
	for _, db := range []string{filepath.Join(dir, "typo", "gatehuose.db"), filepath.Join(dir, "gatehuose.db")} {
		c := devCLI(t, map[string]string{"GATEHOUSE_DATABASE": db})
		for _, args := range [][]string{{"users", "list"}, {"clients", "list"}, {"keys", "list"}, {"janitor"}} {
			code, stdout, stderr := c.raw(args...)
			checkOneLineError(t, strings.Join(args, " "), code, stdout, stderr, "does not exist")
		}
		if got := entries(t, dir); len(got) != 0 {
			t.Fatalf("refused commands wrote %v", got)
		}
	}
	db := filepath.Join(dir, "gatehouse.db")
	c := devCLI(t, map[string]string{"GATEHOUSE_DATABASE": db})
	if code, _, stderr := c.raw("migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	if code, _, stderr := c.raw("users", "list"); code != 0 {
		t.Fatalf("users list after migrate: %d %s", code, stderr)
	}
}

// runServe runs serve in-process until it is ready or exits; it returns
// the exit code (-1 while still serving) and stops it at cleanup.
func runServe(t *testing.T, c *cli, args ...string) (code int, stderr *syncBuffer, ready func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), &bytes.Buffer{}, stderr, c.lookup) }()
	t.Cleanup(func() { cancel(); <-done; done <- 0 })
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case code := <-done:
			done <- code
			return code, stderr, nil
		default:
		}
		if strings.Contains(stderr.String(), `"msg":"gatehouse serving"`) {
			return -1, stderr, nil
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve neither served nor exited:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServeWritesNothingOnFailure: serve refuses, before writing anything
// (no database, no secret, no directory), a configuration that fails
// validation, a database directory that does not exist, an impossible
// port and a busy port.
func TestServeWritesNothingOnFailure(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"invalid config", map[string]string{"GATEHOUSE_BCRYPT_COST": "99"}, "bcrypt_cost"},
		{"missing directory", map[string]string{"GATEHOUSE_DATABASE": "{dir}/typo/gatehouse.db"}, "does not exist"},
		{"impossible port", map[string]string{"GATEHOUSE_LISTEN": "127.0.0.1:99999"}, "listen: port"},
		{"busy port", map[string]string{"GATEHOUSE_LISTEN": busy.Addr().String()}, "address already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"GATEHOUSE_DATABASE": filepath.Join(dir, "gatehouse.db"), "GATEHOUSE_LISTEN": fmt.Sprintf("127.0.0.1:%d", freePort(t))}
			for k, v := range tc.env {
				env[k] = strings.ReplaceAll(v, "{dir}", dir)
			}
			code, stderr, _ := runServe(t, devCLI(t, env))
			if code != 1 || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("serve: exit %d, stderr %s; want exit 1 naming %q", code, stderr.String(), tc.want)
			}
			if got := entries(t, dir); len(got) != 0 {
				t.Errorf("a failed serve wrote %v", got)
			}
		})
	}
}

// TestServeListenFlagAndNextSteps: serve --listen ADDR serves there (the
// dev issuer follows it), prints where things are and the commands to
// run next, and / links to sign-in, the account page and discovery.
func TestServeListenFlagAndNextSteps(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dir := t.TempDir()
	c := devCLI(t, map[string]string{"GATEHOUSE_DATABASE": filepath.Join(dir, "gatehouse.db"), "GATEHOUSE_BCRYPT_COST": "4"})
	code, stderr, _ := runServe(t, c, "--listen", addr)
	if code != -1 {
		t.Fatalf("serve --listen exited %d:\n%s", code, stderr.String())
	}
	out := stderr.String()
	issuer := "http://" + addr
	for _, want := range []string{
		issuer + "/.well-known/openid-configuration", issuer + "/login", issuer + "/account",
		filepath.Join(dir, "gatehouse-data", "mail"), "users create", "clients create", "jq -r .client_secret",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, out)
		}
	}
	resp, err := http.Get(issuer + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page bytes.Buffer
	_, _ = page.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/: status %d", resp.StatusCode)
	}
	for _, want := range []string{`href="/login"`, `href="/account"`, `href="/.well-known/openid-configuration"`} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("/ lacks %s:\n%s", want, page.String())
		}
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("/ has no Content-Security-Policy")
	}
}

// TestVersion prints the version and build information.
func TestVersion(t *testing.T) {
	c := devCLI(t, nil)
	code, stdout, stderr := c.raw("version")
	if code != 0 || stderr != "" {
		t.Fatalf("version: exit %d, stderr %q", code, stderr)
	}
	obj := oneJSONObject(t, stdout)
	if obj["version"] == nil || !strings.HasPrefix(obj["go"].(string), "go") {
		t.Errorf("version: %v", obj)
	}
}

// TestUsersCreateRefusesWeakPasswords: the CLI refuses the passwords the
// registration page refuses (too short, too long, among the most common).
func TestUsersCreateRefusesWeakPasswords(t *testing.T) {
	c := newCLI(t)
	for _, pw := range []string{"short", strings.Repeat("x", 73), "password123", "qwertyuiop"} {
		c.fails("password", "users", "create", "--email", "a@example.com", "--name", "A", "--password", pw)
	}
	c.ok("users", "create", "--email", "a@example.com", "--name", "A", "--password", "a long and unusual passphrase")
}

// TestServeReadyLogOutsideDev: outside dev mode the links are one JSON
// log line, and no human-readable block is printed.
func TestServeReadyLogOutsideDev(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	config := strings.Replace(baseConfig(t, addr), "dev: true", "dev: false", 1)
	s := startServe(t, strings.Replace(config, "bcrypt_cost: 4", "bcrypt_cost: 10", 1))
	s.waitLog(t, `"msg":"gatehouse ready"`)
	out := s.stderr.String()
	if !strings.Contains(out, `"discovery":"http://`+addr+`/.well-known/openid-configuration"`) || !strings.Contains(out, `"login":"http://`+addr+`/login"`) {
		t.Errorf("the ready log line lacks the links:\n%s", out)
	}
	if strings.Contains(out, "users create") {
		t.Errorf("dev-mode next steps printed outside dev mode:\n%s", out)
	}
}
