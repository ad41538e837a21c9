package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/server/oauth"
)

// result is one scenario at one concurrency.
type result struct {
	Scenario    string `json:"scenario"`
	Database    string `json:"database"` // "empty" or "seeded"
	Concurrency int    `json:"concurrency"`
	loadResult
	ServerCPUSeconds float64 `json:"server_cpu_s"`
	ServerPeakRSSMB  float64 `json:"server_peak_rss_mb"`
	Limit            string  `json:"limit"`
	// LimitPerSec is requests per second at the limit: for a sign-bound
	// row, signatures per second over Signatures.
	LimitPerSec float64 `json:"limit_per_s"`
	// Signatures is how many JWTs one request signs, in a sign-bound row.
	Signatures int     `json:"signatures,omitempty"`
	Ratio      float64 `json:"ratio"`
	// LimitCPUms is the CPU time one request takes at a signing or
	// bcrypt limit, measured with it; 0 for the other limits.
	LimitCPUms float64 `json:"limit_cpu_ms,omitempty"`
	// CPURatio is the limit's CPU time per request over the server's (see
	// cpuRatio); 0 where it does not apply.
	CPURatio float64 `json:"cpu_ratio"`
}

// floodResult is the p99 of cheap requests during a password-grant flood.
type floodResult struct {
	Password loadResult `json:"password"`
	JWKS     loadResult `json:"jwks"`
	Token    loadResult `json:"client_credentials"`
}

// report is the whole run, as written in Markdown and JSON.
type report struct {
	Machine machine      `json:"machine"`
	Config  runConfig    `json:"config"`
	Limits  limits       `json:"limits"`
	Results []result     `json:"results"`
	Flood   *floodResult `json:"flood,omitempty"`
	Seed    *seedResult  `json:"seed,omitempty"`
	Targets []targetRow  `json:"targets"`
	// Compare is the other server of -compare, under the same scenarios.
	Compare *compareReport `json:"compare,omitempty"`
}

type machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go"`
	OS         string `json:"os"`
}

type runConfig struct {
	Target      string  `json:"target"`
	Algorithm   string  `json:"algorithm"`
	RSABits     int     `json:"rsa_bits,omitempty"`
	BcryptCost  int     `json:"bcrypt_cost"`
	Concurrency []int   `json:"concurrency"`
	Seconds     float64 `json:"seconds_per_run,omitempty"`
	Requests    int64   `json:"requests_per_run,omitempty"`
	// Scheduling is the load generator's scheduling policy: "SCHED_BATCH"
	// (-sched-batch) or "" for the default.
	Scheduling string `json:"load_scheduling,omitempty"`
}

// bench runs everything opts asks for.
func bench(ctx context.Context, opts options, progress io.Writer) (*report, error) {
	rep := &report{
		Machine: machine{CPU: cpuModel(), Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
			GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH},
		Config: runConfig{Target: "child process", Algorithm: opts.alg, RSABits: opts.rsaBits, BcryptCost: opts.bcryptCost,
			Concurrency: opts.concurrency, Seconds: opts.load.dur.Seconds(), Requests: opts.load.count},
	}
	if opts.load.count > 0 {
		rep.Config.Seconds = 0
	}
	dir, err := os.MkdirTemp("", "gatehouse-bench-")
	if err != nil {
		return nil, err
	}
	if !opts.keepDir {
		defer os.RemoveAll(dir)
	} else {
		fmt.Fprintln(progress, "keeping", dir)
	}

	if err := measureLimits(ctx, opts, dir, &rep.Limits, progress); err != nil {
		return nil, err
	}
	t, err := startTarget(opts, dir)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	if opts.url != "" {
		rep.Config.Target = opts.url
	}
	// After the child started, which keeps the default policy.
	if opts.schedBatch {
		if err := batchScheduling(); err != nil {
			fmt.Fprintln(progress, "load generator keeps the default scheduling:", err)
		} else {
			rep.Config.Scheduling = "SCHED_BATCH"
		}
	}
	transport := newTransport(max(slices.Max(opts.concurrency)+2, 64))
	a := &api{t: t, client: &http.Client{Transport: transport, Timeout: time.Minute}, ep: gatehouseEndpoints(t.URL), ccScope: "api:read"}
	proc := procStats{pid: t.pid}

	lim := &limiter{opts: opts, dir: dir, api: a, progress: progress}
	rep.Limits.BarePerSec = map[string]float64{}
	for _, c := range opts.concurrency {
		rep.Limits.BarePerSec[strconv.Itoa(c)] = lim.bare(ctx, c, loadSpec{dur: opts.limitDuration})
	}
	runAll := func(db string, names []string) error {
		for _, name := range names {
			s, _ := findScenario(name)
			for _, c := range opts.concurrency {
				var r result
				limName, limit, limitCPU, err := lim.around(ctx, s, c, func() (err error) {
					r, err = runScenario(ctx, a, proc, s, c, opts.load, progress)
					return err
				})
				if err != nil {
					return err
				}
				r.Database = db
				r.Limit, r.LimitPerSec = limName, limit
				r.LimitCPUms = 1000 * limitCPU.Seconds()
				if s.limit == limitSign {
					r.Signatures = s.signatures
				}
				if r.LimitPerSec > 0 {
					r.Ratio = r.RPS / r.LimitPerSec
				}
				r.CPURatio = cpuRatio(r, rep.Machine.GOMAXPROCS)
				rep.Results = append(rep.Results, r)
			}
		}
		return nil
	}
	if err := runAll("empty", opts.scenarios); err != nil {
		return nil, err
	}
	if opts.flood && opts.has("password") {
		// The flood measures latency while bcrypt saturates the cores,
		// under the default policy (see defaultScheduling).
		if err := withDefaultScheduling(rep.Config.Scheduling != "", func() { rep.Flood = flood(ctx, a, opts.load, progress) }); err != nil {
			return nil, err
		}
	}
	if opts.seedUsers > 0 || opts.seedTokens > 0 {
		sr, err := seed(ctx, t.database, t.ClientID, opts.seedUsers, opts.seedTokens, progress)
		if err != nil {
			return nil, err
		}
		rep.Seed = &sr
		var again []string
		for _, n := range []string{"client_credentials", "introspection"} {
			if opts.has(n) {
				again = append(again, n)
			}
		}
		if err := runAll("seeded", again); err != nil {
			return nil, err
		}
	}
	if opts.compare.url != "" {
		c, err := compareRun(ctx, opts, a.client, progress)
		if err != nil {
			return nil, err
		}
		rep.Compare = c
	}
	rep.Targets = checkTargets(rep)
	return rep, nil
}

// withDefaultScheduling runs fn under the default scheduling policy when
// the load generator runs under SCHED_BATCH (batch), and then puts it
// back.
func withDefaultScheduling(batch bool, fn func()) error {
	if !batch {
		fn()
		return nil
	}
	if err := defaultScheduling(); err != nil {
		return err
	}
	fn()
	return batchScheduling()
}

// runScenario sets the scenario up for c workers and loads the server,
// measuring the server process's CPU time and peak memory meanwhile.
func runScenario(ctx context.Context, a *api, proc procStats, s scenario, c int, spec loadSpec, progress io.Writer) (result, error) {
	ops, err := s.setup(ctx, a, c)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", s.name, err)
	}
	proc.resetPeak()
	cpu0, _ := proc.cpu()
	lr := runLoad(ctx, fmt.Sprintf("%s c=%d", s.name, c), ops, spec, progress)
	cpu1, okCPU := proc.cpu()
	rss, okRSS := proc.peakRSS()
	r := result{Scenario: s.name, Concurrency: c, loadResult: lr}
	if okCPU {
		r.ServerCPUSeconds = (cpu1 - cpu0).Seconds()
	}
	if okRSS {
		r.ServerPeakRSSMB = float64(rss) / (1 << 20)
	}
	return r, nil
}

// flood runs a password-grant flood at 64 workers and, at the same time,
// one JWKS and one client_credentials worker whose latency must not suffer.
func flood(ctx context.Context, a *api, spec loadSpec, progress io.Writer) *floodResult {
	pw, _ := scenarioOps(ctx, a, "password", 64)
	jw, _ := scenarioOps(ctx, a, "jwks", 1)
	cc, _ := scenarioOps(ctx, a, "client_credentials", 1)
	var fr floodResult
	done := make(chan struct{}, 2)
	discard := io.Discard
	go func() { fr.JWKS = runLoad(ctx, "flood jwks", jw, spec, discard); done <- struct{}{} }()
	go func() { fr.Token = runLoad(ctx, "flood client_credentials", cc, spec, discard); done <- struct{}{} }()
	fr.Password = runLoad(ctx, "flood password c=64 (+jwks, cc)", pw, spec, progress)
	<-done
	<-done
	return &fr
}

func scenarioOps(ctx context.Context, a *api, name string, c int) ([]op, error) {
	s, _ := findScenario(name)
	return s.setup(ctx, a, c)
}

// startTarget spawns the server child, or describes the running server of
// -url (with a bare JWKS handler started here, in the load generator).
func startTarget(opts options, dir string) (*target, error) {
	if opts.url == "" {
		return spawn(dir, childSpec{Algorithm: opts.alg, RSABits: opts.rsaBits, BcryptCost: opts.bcryptCost, DebugListen: opts.debugListen}, os.Stderr)
	}
	base := strings.TrimRight(opts.url, "/")
	resp, err := http.Get(base + oauth.PathJWKS)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: status %d %v", resp.StatusCode, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := newHTTPServer(serveBytes(body, resp.Header.Get("Content-Type")))
	go func() { _ = srv.Serve(ln) }()
	return &target{
		childInfo: childInfo{URL: base, BareURL: "http://" + ln.Addr().String(), ClientID: opts.clientID,
			ClientSecret: opts.clientSecret, Username: opts.username, Password: opts.password},
		pid:  opts.serverPID,
		stop: srv.Close,
	}, nil
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	raw, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
