package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

func noEnv(string) (string, bool) { return "", false }

func TestHealthcheck(t *testing.T) {
	env := servertest.Start(t)
	check := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb, noEnv)
		return code, out.String(), errb.String()
	}

	// --url names the server.
	if code, out, errs := check("healthcheck", "--url", env.URL); code != 0 || !strings.Contains(out, `"ready":true`) {
		t.Fatalf("healthcheck --url: exit %d, %q, %q", code, out, errs)
	}

	// Without --url, the configuration's listen address: a wildcard host is
	// reached on loopback. No secret, no database needed.
	_, port, _ := net.SplitHostPort(env.Config.Listen)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gatehouse.yaml")
	if err := os.WriteFile(cfg, []byte("listen: 0.0.0.0:"+port+"\nissuer: "+env.URL+"\ndatabase: "+filepath.Join(dir, "none.db")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := check("healthcheck", "--config", cfg); code != 0 {
		t.Fatalf("healthcheck --config: exit %d, %q, %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Error("healthcheck created the database")
	}

	// Nothing listening: a one-line error and a non-zero exit.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	if code, _, errs := check("healthcheck", "--url", closed); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("healthcheck of a closed port: exit %d, stderr %q", code, errs)
	}
	if code, _, _ := check("healthcheck", "--url", "ftp://x"); code == 0 {
		t.Fatal("healthcheck accepted an ftp URL")
	}
}

func TestHealthURL(t *testing.T) {
	for _, tc := range []struct {
		listen, cert, issuer, wantURL, wantName string
	}{
		{"127.0.0.1:8080", "", "http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1"},
		{"0.0.0.0:8080", "", "https://id.example.com", "http://127.0.0.1:8080", "127.0.0.1"},
		{"[::]:8443", "/etc/cert.pem", "https://id.example.com", "https://127.0.0.1:8443", "id.example.com"},
		{":9000", "", "https://id.example.com", "http://127.0.0.1:9000", "127.0.0.1"},
	} {
		cfg := server.Config{Listen: tc.listen, Issuer: tc.issuer}
		cfg.TLS.CertFile = tc.cert
		u, name, err := healthURL(cfg, "")
		if err != nil || u != tc.wantURL || name != tc.wantName {
			t.Errorf("healthURL(%q, cert %q) = %q, %q, %v; want %q, %q", tc.listen, tc.cert, u, name, err, tc.wantURL, tc.wantName)
		}
	}
}
