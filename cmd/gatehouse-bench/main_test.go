package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestMain lets the test binary be the server child, as the real binary is.
func TestMain(m *testing.M) {
	if isChild, code := childMain(); isChild {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// runBench runs the command with args plus a JSON output and returns the
// decoded report and the Markdown.
func runBench(t *testing.T, args ...string) (report, string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	args = append(args, "-json", path)
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("gatehouse-bench %v: exit %d\n%s", args, code, stderr.String())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, raw)
	}
	return rep, stdout.String(), path
}

// checkResults fails t unless every wanted scenario ran at every
// concurrency, with throughput, latency and no error.
func checkResults(t *testing.T, rep report, db string, want []string, conc []int) {
	t.Helper()
	for _, name := range want {
		for _, c := range conc {
			found := false
			for _, r := range rep.Results {
				if r.Scenario != name || r.Concurrency != c || r.Database != db {
					continue
				}
				found = true
				if r.Requests == 0 || r.RPS <= 0 || r.P50ms <= 0 || r.P99ms < r.P50ms {
					t.Errorf("%s c=%d on %s: no throughput or odd latency: %+v", name, c, db, r.loadResult)
				}
				if len(r.Errors) != 0 {
					t.Errorf("%s c=%d on %s: errors %v", name, c, db, r.Errors)
				}
				if r.LimitPerSec <= 0 || r.Ratio <= 0 {
					t.Errorf("%s c=%d on %s: no limit ratio: %+v", name, c, db, r)
				}
			}
			if !found {
				t.Errorf("no result for %s c=%d on %s", name, c, db)
			}
		}
	}
}

// TestEveryScenario starts the server child and runs every scenario for a
// few requests, with a small seed, checking the JSON and Markdown reports.
func TestEveryScenario(t *testing.T) {
	rep, md, path := runBench(t, "-requests", "12", "-concurrency", "1,3", "-limit-duration", "100ms",
		"-bcrypt-cost", "4", "-seed-users", "50", "-seed-tokens", "200")
	checkResults(t, rep, "empty", scenarioNames(), []int{1, 3})
	checkResults(t, rep, "seeded", []string{"client_credentials", "introspection"}, []int{1, 3})

	l := rep.Limits
	if l.SignPerSec["RS256"] <= 0 || l.SignPerSec["RS256-3072"] <= 0 || l.SignPerSec["RS256-4096"] <= 0 ||
		l.SignPerSec["ES256"] <= 0 || l.BcryptPerSec <= 0 || l.CommitsPerSec <= 0 ||
		l.BarePerSec["1"] <= 0 || l.BarePerSec["3"] <= 0 {
		t.Errorf("a limit is missing: %+v", l)
	}
	// CPU time comes in 10 ms ticks: a short run may read zero, the
	// whole run may not.
	cpu := 0.0
	for _, r := range rep.Results {
		cpu += r.ServerCPUSeconds
		if r.ServerPeakRSSMB <= 0 {
			t.Errorf("%s c=%d: no server peak RSS: %+v", r.Scenario, r.Concurrency, r)
		}
	}
	if cpu <= 0 {
		t.Error("no server CPU time measured")
	}
	if runtime.GOOS == "linux" && (rep.Config.Scheduling != "SCHED_BATCH" || !strings.Contains(md, "Load generator: SCHED_BATCH")) {
		t.Errorf("load generator's scheduling %q, want SCHED_BATCH in the report", rep.Config.Scheduling)
	}
	if rep.Flood == nil || rep.Flood.JWKS.Requests == 0 || rep.Flood.Token.Requests == 0 || rep.Flood.Password.Requests == 0 {
		t.Errorf("flood not measured: %+v", rep.Flood)
	}
	if rep.Seed == nil || rep.Seed.Users != 50 || rep.Seed.Tokens != 200 {
		t.Errorf("seed: %+v", rep.Seed)
	}
	// An OpenID grant signs an ID token too; bcrypt- and bare-bound rows
	// count none.
	sigs := map[string]int{"client_credentials": 1, "refresh": 2, "device": 2, "dpop_client_credentials": 1, "token_exchange": 1}
	for _, r := range rep.Results {
		if want := sigs[r.Scenario]; r.Signatures != want {
			t.Errorf("%s c=%d: %d signatures per request, want %d", r.Scenario, r.Concurrency, r.Signatures, want)
		}
		if r.Limit == "bare handler" && r.CPURatio != 0 {
			t.Errorf("%s c=%d: a CPU ratio to the bare handler: %+v", r.Scenario, r.Concurrency, r)
		}
	}
	if len(rep.Targets) < 8 {
		t.Errorf("only %d targets checked: %+v", len(rep.Targets), rep.Targets)
	}
	for _, want := range []string{"| client_credentials | empty | 1 |", "| introspection | seeded | 3 |", "| Target |", "bare net/http JWKS handler, c=3", "sign RS256 (4096)", "| Ratio | CPU ratio |"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}

	// The saved JSON renders the same report again.
	var again, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-from-json", path}, &again, &stderr); code != 0 || again.String() != md {
		t.Errorf("-from-json: exit %d, %s\nMarkdown differs:\n%s\nwant:\n%s", code, stderr.String(), again.String(), md)
	}
}

// TestRunningServer loads a server started elsewhere (-url) with a client
// and user made for it.
func TestRunningServer(t *testing.T) {
	env := servertest.Start(t)
	id, sec := env.CreateClient(t, clients.Spec{
		ID: "loadtest", RedirectURIs: []string{benchRedirect},
		GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials", "password"},
		Scopes:     []string{"openid", "offline_access", "profile", "email", "api:read"},
	})
	env.CreateUser(t, "load@example.com", "correct horse battery", "Load")
	want := []string{"client_credentials", "refresh", "authcode", "userinfo", "jwks"}
	rep, _, _ := runBench(t, "-url", env.URL, "-client-id", id, "-client-secret", sec,
		"-username", "load@example.com", "-password", "correct horse battery",
		"-scenarios", strings.Join(want, ","), "-requests", "8", "-concurrency", "2", "-limit-duration", "100ms", "-bcrypt-cost", "4")
	checkResults(t, rep, "empty", want, []int{2})
	for _, r := range rep.Results {
		if r.CPURatio != 0 {
			t.Errorf("%s: a CPU ratio without the server's CPU time (-server-pid): %+v", r.Scenario, r)
		}
	}
	if rep.Config.Target != env.URL {
		t.Errorf("target %q, want %q", rep.Config.Target, env.URL)
	}
}

// TestBadFlags refuses what cannot run.
func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-scenarios", "nope"},
		{"-concurrency", "0"},
		{"-alg", "HS256"},
		{"-url", "http://127.0.0.1:1"},
		{"-server-pid", "1"},
		{"-url", "http://127.0.0.1:1", "-client-id", "a", "-client-secret", "b", "-seed-users", "5"},
		{"-rsa-bits", "1024"},
		{"-compare", "http://127.0.0.1:1"},
		{"-compare-client-id", "a"},
		{"extra"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a reason", args, code, stderr.String())
		}
	}
}

// TestCompare puts the started server side by side with another server,
// here a second Gatehouse reached only through its discovery document
// (standing in for Hydra, Keycloak or Dex): the other server's rows come
// from its own endpoints and process, and what it cannot run is named.
func TestCompare(t *testing.T) {
	other := servertest.Start(t)
	id, sec := other.CreateClient(t, clients.Spec{
		ID: "other", RedirectURIs: []string{benchRedirect},
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"},
	})
	scen := []string{"client_credentials", "introspection", "jwks", "discovery", "password", "authcode"}
	rep, md, _ := runBench(t, "-compare", other.URL, "-compare-client-id", id, "-compare-client-secret", sec,
		"-compare-scope", "api:read", "-compare-pid", strconv.Itoa(os.Getpid()),
		"-scenarios", strings.Join(scen, ","), "-requests", "8", "-concurrency", "2", "-limit-duration", "100ms",
		"-bcrypt-cost", "4", "-flood=false")
	c := rep.Compare
	if c == nil {
		t.Fatal("no compare section in the report")
	}
	if c.Endpoints.Token != other.URL+"/oauth2/token" || c.Endpoints.Introspect != other.URL+"/oauth2/introspect" {
		t.Errorf("endpoints not from the other server's discovery: %+v", c.Endpoints)
	}
	ran := map[string]bool{}
	for _, r := range c.Results {
		ran[r.Scenario] = true
		if r.Requests != 8 || len(r.Errors) != 0 || r.Database != "compare" {
			t.Errorf("%s against the other server: %+v", r.Scenario, r)
		}
	}
	for _, name := range []string{"client_credentials", "introspection", "jwks", "discovery"} {
		if !ran[name] {
			t.Errorf("%s not run against the other server", name)
		}
	}
	if ran["password"] || ran["authcode"] || len(c.Skipped) != 2 {
		t.Errorf("password (no user given) and authcode (Gatehouse pages) must be skipped: ran %v, skipped %v", ran, c.Skipped)
	}
	for _, want := range []string{"Side by side with " + other.URL, "| introspection | 2 |", "Not run against"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestRatios checks the per-request signing limit, the CPU ratio and the
// targets and table built on them, from a report made in memory and read
// back as an older JSON report without CPU ratios.
func TestRatios(t *testing.T) {
	for _, c := range []struct {
		sign, commits float64
		n             int
		name          string
		perSec        float64
	}{
		{2000, 1e5, 1, "sign RS256", 2000},
		{2000, 1e5, 2, "sign RS256 ×2", 1000},
		{2000, 800, 2, "sqlite commits", 800},
	} {
		if name, v := signBound("RS256", c.sign, c.commits, c.n); name != c.name || v != c.perSec {
			t.Errorf("signBound(%v, %v, %d) = %q, %v; want %q, %v", c.sign, c.commits, c.n, name, v, c.name, c.perSec)
		}
	}

	// Ten seconds at rps, with cpu seconds of server CPU time.
	row := func(scen string, c int, rps, cpu float64, limit string, perSec float64, sigs int) result {
		r := result{Scenario: scen, Database: "empty", Concurrency: c, ServerCPUSeconds: cpu,
			Limit: limit, LimitPerSec: perSec, Signatures: sigs, Ratio: rps / perSec}
		r.Requests, r.Seconds, r.RPS = int64(10*rps), 10, rps
		return r
	}
	// Two cores: a token at 1000/s costs 2 ms of CPU, a refresh at 500/s 4 ms.
	old := report{Machine: machine{GOMAXPROCS: 2}, Results: []result{
		row("client_credentials", 16, 800, 17.6, "sign RS256", 1000, 1), // 2.2 ms: 91 %
		row("refresh", 16, 300, 12, "sign RS256 ×2", 500, 2),            // 4 ms: 100 %
		row("refresh", 64, 280, 14, "sign RS256 ×2", 500, 2),            // 5 ms: 80 %
		row("jwks", 16, 9000, 50, "bare handler", 20000, 0),
	}}
	raw, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := loadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{0.909, 1, 0.8, 0} {
		if got := rep.Results[i].CPURatio; got < want-0.001 || got > want+0.001 {
			t.Errorf("%s c=%d: CPU ratio %.4f, want %.3f", rep.Results[i].Scenario, rep.Results[i].Concurrency, got, want)
		}
	}

	// A limit's CPU time measured in the run wins over the estimate from
	// the cores: the signing measurement spent 2.5 ms per signature
	// (others shared the machine), so a 2.2 ms token is 114 %.
	measured := old.Results[0]
	measured.LimitCPUms = 2.5
	if got := cpuRatio(measured, 2); got < 1.135 || got > 1.137 {
		t.Errorf("CPU ratio with the measured limit CPU: %.4f, want 1.136", got)
	}

	targets := map[string]targetRow{}
	for _, tr := range rep.Targets {
		targets[tr.Name] = tr
	}
	for _, c := range []struct {
		name, measured string
		pass           bool
	}{
		{"client_credentials server CPU per token vs one signature", "= 91 % (throughput 80 %), c=16", true},
		{"refresh vs its signing ceiling (2 signatures)", "= 100 % (throughput 60 %), c=16", true},
		{"refresh throughput at 64 vs 16", "280 / 300 req/s = 0.93x", false},
	} {
		tr, ok := targets[c.name]
		if !ok || !strings.HasSuffix(tr.Measured, c.measured) || tr.Pass != c.pass {
			t.Errorf("target %q: %+v; want measured ending %q, pass %v", c.name, tr, c.measured, c.pass)
		}
	}

	var md bytes.Buffer
	writeMarkdown(&md, rep)
	for _, want := range []string{"| Bound by | Ratio | CPU ratio |", "| sign RS256 ×2 | 56 % | 80 % |",
		"| sign RS256 | 80 % | 91 % |", "| bare handler | 45 % | – |", "| refresh throughput at 64 vs 16 | 280 / 300 req/s = 0.93x | >= 1.0x | MISS |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
}
