package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/ratelimit/ratelimittest"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// readyz fetches /readyz.
func readyz(t *testing.T, env *servertest.Env) (int, map[string]any) {
	t.Helper()
	r := send(t, env, http.MethodGet, "/readyz", "", nil, nil)
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("/readyz body %q: %v", r.Body, err)
	}
	return r.Status, body
}

// eventually polls cond (no timing assertion: a slow machine only waits
// longer).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tmpfs mounts a small tmpfs of size (e.g. "3m") for the test, which is
// skipped, with the reason, where that cannot be done: not root, or no
// mount. Under CI=true as root a failed mount fails the test.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a full disk is simulated with a tmpfs, which needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v: %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			t.Fatal(err)
		}
	}
	// The last few bytes too: a write smaller than a chunk may still fit.
	for {
		if _, err := f.Write(chunk[:512]); err != nil {
			break
		}
	}
	_ = f.Sync()
}

// TestReadyzFullDisk: /readyz answers 503 with a detail while the SQLite
// database cannot write (its disk is full), and 200 again once it can.
func TestReadyzFullDisk(t *testing.T) {
	if os.Getenv(servertest.DatabaseEnv) == "postgres" {
		t.Skip("the full disk is a SQLite file's")
	}
	dir := tmpfs(t, "8m")
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.Database = filepath.Join(dir, "gatehouse.db")
	}))
	if status, body := readyz(t, env); status != http.StatusOK {
		t.Fatalf("/readyz %d %v before the disk filled", status, body)
	}
	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	var body map[string]any
	eventually(t, "/readyz to report the full disk", func() bool {
		var status int
		status, body = readyz(t, env)
		return status == http.StatusServiceUnavailable
	})
	if body["reason"] != "database" || !strings.Contains(body["detail"].(string), "writes") {
		t.Errorf("/readyz body %v, want reason database and a detail about writes", body)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	eventually(t, "/readyz to recover", func() bool { status, _ := readyz(t, env); return status == http.StatusOK })
}

// TestRedisOutageServer: with Redis stopped (a real redis-server, stopped
// and started again) the server stays ready but says it is degraded, in
// /readyz and in a metric, and goes back when Redis does.
func TestRedisOutageServer(t *testing.T) {
	redis := ratelimittest.StartRedis(t)
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.RateLimit.RedisURL = redis.URL
	}))
	status, body := readyz(t, env)
	if status != http.StatusOK || body["degraded"] != nil {
		t.Fatalf("/readyz %d %v with Redis up", status, body)
	}
	if v, _ := sample(scrape(t, env), "gatehouse_ratelimit_redis_fallback", nil); v != 0 {
		t.Errorf("fallback gauge %v with Redis up", v)
	}
	redis.Stop(t)
	// A counted attempt (forgot-password is limited per IP) meets the
	// outage and moves the counters to memory.
	env.Server.Limiter.Allow(t.Context(), "forgot_password", "192.0.2.1")
	status, body = readyz(t, env)
	if status != http.StatusOK {
		t.Errorf("/readyz %d with Redis down: the node still serves", status)
	}
	if d, _ := body["degraded"].([]any); len(d) != 1 || !strings.Contains(d[0].(string), "Redis") {
		t.Errorf("/readyz %v, want a degraded entry naming Redis", body)
	}
	if v, _ := sample(scrape(t, env), "gatehouse_ratelimit_redis_fallback", nil); v != 1 {
		t.Errorf("fallback gauge %v with Redis down, want 1", v)
	}
	redis.Start(t)
	eventually(t, "/readyz without degraded", func() bool { _, body := readyz(t, env); return body["degraded"] == nil })
}
