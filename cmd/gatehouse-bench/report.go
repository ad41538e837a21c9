package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// signLimits are the signing limits every run measures: the key sizes and
// algorithms keys.rsa_bits and keys.algorithm allow, so the report shows
// what a larger RSA key costs.
var signLimits = []struct {
	name, label, alg string
	bits             int
}{
	{"RS256", "RS256 (2048)", "RS256", 2048},
	{"RS256-3072", "RS256 (3072)", "RS256", 3072},
	{"RS256-4096", "RS256 (4096)", "RS256", 4096},
	{"ES256", "ES256", "ES256", 0},
}

// measureLimits measures the limits that do not need the server: signing,
// bcrypt and SQLite commits, while nothing else runs.
func measureLimits(ctx context.Context, opts options, dir string, l *limits, progress io.Writer) error {
	l.SignPerSec = map[string]float64{}
	for _, k := range signLimits {
		fmt.Fprintf(progress, "limit sign %s ...\n", k.name)
		r, _, err := signRate(k.alg, k.bits, opts.limitDuration)
		if err != nil {
			return fmt.Errorf("sign limit: %w", err)
		}
		l.SignPerSec[k.name] = r
	}
	fmt.Fprintf(progress, "limit bcrypt cost %d ...\n", opts.bcryptCost)
	r, _, err := bcryptRate(opts.bcryptCost, opts.limitDuration)
	if err != nil {
		return fmt.Errorf("bcrypt limit: %w", err)
	}
	l.BcryptPerSec, l.BcryptCost = r, opts.bcryptCost
	fmt.Fprintln(progress, "limit sqlite commits ...")
	if l.CommitsPerSec, err = commitRate(ctx, dir, opts.limitDuration); err != nil {
		return fmt.Errorf("sqlite limit: %w", err)
	}
	return nil
}

// limiter re-measures the limit that bounds a scenario just before and
// just after it runs, so that a ratio compares figures taken under the
// same background load on a noisy machine.
type limiter struct {
	opts     options
	dir      string
	api      *api
	progress io.Writer
}

// measured is one raw limit: operations per second and, for the
// CPU-bound ones (signing, bcrypt), the CPU time one operation took.
type measured struct {
	perSec float64
	cpu    time.Duration
}

// sample holds raw limits by kind ("sign", "commits", "bcrypt", "bare").
type sample map[string]measured

// mean is the mean of two samples of the same kinds.
func (a sample) mean(b sample) sample {
	m := sample{}
	for kind, x := range a {
		y, ok := b[kind]
		if !ok {
			m[kind] = x
			continue
		}
		m[kind] = measured{(x.perSec + y.perSec) / 2, (x.cpu + y.cpu) / 2}
	}
	return m
}

// around measures the limit of scenario s at concurrency c just before
// row runs and again just after, and returns the mean of the two: its
// name, requests per second, and, for the CPU-bound limits (signing,
// bcrypt), the CPU time one request at the limit takes (else 0). Two
// measurements around the row follow a machine whose speed drifts (other
// tenants) better than one before it.
func (m *limiter) around(ctx context.Context, s scenario, c int, row func() error) (string, float64, time.Duration, error) {
	before, after := sample{}, sample{}
	if _, _, _, err := m.bound(ctx, s, c, before, true); err != nil {
		return "", 0, 0, err
	}
	if err := row(); err != nil {
		return "", 0, 0, err
	}
	if _, _, _, err := m.bound(ctx, s, c, after, true); err != nil {
		return "", 0, 0, err
	}
	return m.bound(ctx, s, c, before.mean(after), false)
}

// bound is the limit of scenario s at concurrency c from the raw limits
// in got, measuring those it lacks into it when measure is set.
func (m *limiter) bound(ctx context.Context, s scenario, c int, got sample, measure bool) (string, float64, time.Duration, error) {
	var firstErr error
	get := func(kind string) measured {
		if v, ok := got[kind]; ok || !measure {
			return v
		}
		var v measured
		var err error
		d := m.opts.limitDuration
		switch kind {
		case "sign":
			v.perSec, v.cpu, err = signRate(m.opts.alg, m.opts.rsaBits, d)
		case "commits":
			v.perSec, err = commitRate(ctx, m.dir, d)
		case "bcrypt":
			v.perSec, v.cpu, err = bcryptRate(m.opts.bcryptCost, d)
		case "bare":
			v.perSec = m.bare(ctx, c, loadSpec{dur: d})
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		got[kind] = v
		return v
	}
	var pick func(s scenario) (string, float64, time.Duration)
	pick = func(s scenario) (string, float64, time.Duration) {
		switch s.limit {
		case limitSign:
			sign := get("sign")
			name, v := signBound(m.opts.alg, sign.perSec, get("commits").perSec, s.signatures)
			if name == "sqlite commits" {
				return name, v, 0
			}
			return name, v, sign.cpu * time.Duration(max(s.signatures, 1))
		case limitBcrypt:
			b := get("bcrypt")
			return fmt.Sprintf("bcrypt cost %d", m.opts.bcryptCost), b.perSec, b.cpu
		case limitBare:
			return "bare handler", get("bare").perSec, 0
		case limitMixed:
			// Each part costs 1/limit of the machine: the mix's limit
			// is the weighted harmonic mean.
			var total, cost float64
			for _, w := range mixWeights {
				part, _ := findScenario(w.name)
				_, lim, _ := pick(part)
				if lim <= 0 {
					return "", 0, 0
				}
				total += float64(w.weight)
				cost += float64(w.weight) / lim
			}
			return "weighted mix", total / cost, 0
		}
		return "", 0, 0
	}
	name, v, cpu := pick(s)
	return name, v, cpu, firstErr
}

// signBound is the limit of a request that signs n JWTs with alg: sign
// signatures per second shared among them, or the SQLite commits per
// second when fewer.
func signBound(alg string, sign, commits float64, n int) (string, float64) {
	n = max(n, 1)
	perRequest := sign / float64(n)
	if commits < perRequest {
		return "sqlite commits", commits
	}
	if n > 1 {
		return fmt.Sprintf("sign %s ×%d", alg, n), perRequest
	}
	return "sign " + alg, perRequest
}

// limitCPU is the CPU time one request takes at r's limit, in seconds:
// as measured in the run (LimitCPUms), or, for reports from before it was,
// procs busy goroutines over the limit. 0 where it does not apply: the
// other limits (the bare handler runs in this process, SQLite commits
// wait on the disk).
func limitCPU(r result, procs int) float64 {
	if r.LimitCPUms > 0 {
		return r.LimitCPUms / 1000
	}
	cpuBound := strings.HasPrefix(r.Limit, "sign ") || strings.HasPrefix(r.Limit, "bcrypt ")
	if !cpuBound || procs <= 0 || r.LimitPerSec <= 0 {
		return 0
	}
	return float64(procs) / r.LimitPerSec
}

// cpuRatio is the CPU time per request at r's limit over the server's; 0
// where limitCPU does not apply or without server CPU time (-url without
// -server-pid).
func cpuRatio(r result, procs int) float64 {
	limit := limitCPU(r, procs)
	if limit <= 0 || r.ServerCPUSeconds <= 0 || r.Requests == 0 {
		return 0
	}
	return limit / (r.ServerCPUSeconds / float64(r.Requests))
}

// bare loads the bare JWKS handler at concurrency c.
func (m *limiter) bare(ctx context.Context, c int, spec loadSpec) float64 {
	ops, _ := same(func(a *api) op { return a.getOp(a.t.BareURL+"/", "") })(ctx, m.api, c)
	return runLoad(ctx, fmt.Sprintf("limit bare_jwks c=%d", c), ops, spec, m.progress).RPS
}

// targetRow is one target of issue 7, checked against this run.
type targetRow struct {
	Name     string `json:"name"`
	Measured string `json:"measured"`
	Goal     string `json:"goal"`
	Pass     bool   `json:"pass"`
}

// best returns the result of scenario on db with the highest key.
func best(rs []result, scenario, db string, key func(result) float64) (result, bool) {
	var b result
	found := false
	for _, r := range rs {
		if r.Scenario == scenario && r.Database == db && (!found || key(r) > key(b)) {
			b, found = r, true
		}
	}
	return b, found
}

// row returns the result of scenario on db at concurrency c.
func row(rs []result, scenario, db string, c int) (result, bool) {
	for _, r := range rs {
		if r.Scenario == scenario && r.Database == db && r.Concurrency == c {
			return r, true
		}
	}
	return result{}, false
}

func byRatio(r result) float64    { return r.Ratio }
func byCPURatio(r result) float64 { return r.CPURatio }

// checkTargets compares the run with the targets it can check.
func checkTargets(rep *report) []targetRow {
	var rows []targetRow
	add := func(name, measured, goal string, pass bool) {
		rows = append(rows, targetRow{name, measured, goal, pass})
	}
	// Each row's ratio is to its limit measured around it, under
	// the same background load: the best row of a scenario is checked.
	ratio := func(name, goal string, min float64) {
		if r, ok := best(rep.Results, name, "empty", byRatio); ok {
			add(fmt.Sprintf("%s vs %s", name, r.Limit),
				fmt.Sprintf("%.4g / %.4g = %.0f %% (c=%d)", r.RPS, r.LimitPerSec, 100*r.Ratio, r.Concurrency), goal, r.Ratio >= min)
		}
	}
	// cpu checks the best CPU ratio of scenario, when one was measured.
	cpu := func(scenario string, name func(result) string, goal string, min float64) {
		r, ok := best(rep.Results, scenario, "empty", byCPURatio)
		if !ok || r.CPURatio <= 0 {
			return
		}
		limitMs := 1000 * limitCPU(r, rep.Machine.GOMAXPROCS)
		add(name(r), fmt.Sprintf("%.3g / %.3g ms CPU per request = %.0f %% (throughput %.0f %%), c=%d",
			limitMs, cpuPerRequest(r), 100*r.CPURatio, 100*r.Ratio, r.Concurrency), goal, r.CPURatio >= min)
	}
	cpu("client_credentials", func(result) string { return "client_credentials server CPU per token vs one signature" }, ">= 85 %", 0.85)
	cpu("refresh", func(r result) string {
		sigs := "1 signature"
		if r.Signatures > 1 {
			sigs = fmt.Sprintf("%d signatures", r.Signatures)
		}
		return fmt.Sprintf("refresh vs its signing ceiling (%s)", sigs)
	}, ">= 70 %", 0.7)
	r16, ok16 := row(rep.Results, "refresh", "empty", 16)
	r64, ok64 := row(rep.Results, "refresh", "empty", 64)
	if ok16 && ok64 && r16.RPS > 0 {
		x := r64.RPS / r16.RPS
		add("refresh throughput at 64 vs 16", fmt.Sprintf("%.4g / %.4g req/s = %.2fx", r64.RPS, r16.RPS, x), ">= 1.0x", x >= 1)
	}
	for _, name := range []string{"introspection", "userinfo", "jwks"} {
		ratio(name, ">= 10 % (same order)", 0.1)
	}
	ratio("password", ">= 90 %", 0.9)
	if f := rep.Flood; f != nil {
		for _, x := range []struct {
			name string
			r    loadResult
		}{{"jwks", f.JWKS}, {"client_credentials", f.Token}} {
			add(x.name+" p99 during a password flood (64)", fmt.Sprintf("%.1f ms", x.r.P99ms), "< 50 ms",
				x.r.P99ms < 50 && x.r.errorCount() == 0 && x.r.Requests > 0)
		}
	}
	if rep.Seed != nil {
		for _, name := range []string{"client_credentials", "introspection"} {
			worst, at := 0.0, 0
			for _, e := range rep.Results {
				if e.Scenario != name || e.Database != "empty" {
					continue
				}
				for _, s := range rep.Results {
					if s.Scenario == name && s.Database == "seeded" && s.Concurrency == e.Concurrency && e.P50ms > 0 {
						if ratio := s.P50ms / e.P50ms; ratio > worst {
							worst, at = ratio, e.Concurrency
						}
					}
				}
			}
			if at > 0 {
				add(fmt.Sprintf("%s p50, %d users / %d tokens vs empty", name, rep.Seed.Users, rep.Seed.Tokens),
					fmt.Sprintf("%.2fx (worst, c=%d)", worst, at), "<= 1.5x", worst <= 1.5)
			}
		}
	}
	rss := 0.0
	for _, r := range rep.Results {
		rss = max(rss, r.ServerPeakRSSMB)
	}
	if rss > 0 {
		add("server peak RSS", fmt.Sprintf("%.0f MB", rss), "< 150 MB", rss < 150)
	}
	errs := 0
	for _, r := range rep.Results {
		errs += r.errorCount()
	}
	add("errors in every scenario", strconv.Itoa(errs), "0", errs == 0)
	return rows
}

// writeMarkdown prints the report as Markdown tables.
func writeMarkdown(w io.Writer, rep *report) {
	m := rep.Machine
	alg := rep.Config.Algorithm
	if alg == "RS256" && rep.Config.RSABits > 0 {
		alg += fmt.Sprintf(" (%d-bit)", rep.Config.RSABits)
	}
	sched := "default scheduling"
	if rep.Config.Scheduling != "" {
		sched = rep.Config.Scheduling + ", so that it does not preempt the server on the cores they share (the default policy during the flood)"
	}
	fmt.Fprintf(w, "Machine: %s, %d cores (GOMAXPROCS %d), %s, %s. Target: %s, %s keys, bcrypt cost %d. Load generator: %s.\n\n",
		m.CPU, m.Cores, m.GOMAXPROCS, m.GoVersion, m.OS, rep.Config.Target, alg, rep.Config.BcryptCost, sched)
	l := rep.Limits
	fmt.Fprintln(w, "| Limit (same run, before the scenarios) | per second |\n|---|---:|")
	for _, k := range signLimits {
		if v, ok := l.SignPerSec[k.name]; ok {
			fmt.Fprintf(w, "| sign %s, all cores | %.0f |\n", k.label, v)
		}
	}
	fmt.Fprintf(w, "| bcrypt cost %d, all cores | %.1f |\n| SQLite commits (WAL, synchronous=NORMAL) | %.0f |\n", l.BcryptCost, l.BcryptPerSec, l.CommitsPerSec)
	for _, c := range rep.Config.Concurrency {
		fmt.Fprintf(w, "| bare net/http JWKS handler, c=%d | %.0f |\n", c, l.BarePerSec[strconv.Itoa(c)])
	}
	fmt.Fprintln(w, "\nRatio divides a row's throughput by its bounding limit in requests per second, re-measured just before "+
		"and just after the row, the mean of the two (\"×2\": each request signs two JWTs, so half the signing rate). CPU ratio divides the limit's CPU time per "+
		"request (the CPU time the limit's measurement spent per operation) by the server's (its CPU seconds over its requests), for rows bound by signing or bcrypt.")
	fmt.Fprintln(w, "\n| Scenario | DB | Conc. | req/s | p50 ms | p90 ms | p99 ms | Errors | Server CPU s | Peak RSS MB | Bound by | Ratio | CPU ratio |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|---:|---:|")
	for _, r := range rep.Results {
		cpu := "–"
		if r.CPURatio > 0 {
			cpu = fmt.Sprintf("%.0f %%", 100*r.CPURatio)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %.1f | %.2f | %.2f | %.2f | %s | %.1f | %.0f | %s | %.0f %% | %s |\n",
			r.Scenario, r.Database, r.Concurrency, r.RPS, r.P50ms, r.P90ms, r.P99ms, errorsText(r.Errors),
			r.ServerCPUSeconds, r.ServerPeakRSSMB, r.Limit, 100*r.Ratio, cpu)
	}
	if f := rep.Flood; f != nil {
		fmt.Fprintf(w, "\nDuring a password-grant flood (64 workers, %.1f req/s): JWKS p99 %.1f ms (%.0f req/s), client_credentials p99 %.1f ms (%.0f req/s).\n",
			f.Password.RPS, f.JWKS.P99ms, f.JWKS.RPS, f.Token.P99ms, f.Token.RPS)
	}
	if s := rep.Seed; s != nil {
		fmt.Fprintf(w, "\nSeeded %d users and %d token sessions in %.0f s (%.0f rows/s, one transaction per %d rows).\n",
			s.Users, s.Tokens, s.Seconds, s.RowsPerSecond, seedBatch)
	}
	writeCompare(w, rep)
	fmt.Fprintln(w, "\n| Target | Measured | Goal | Result |\n|---|---|---|---|")
	for _, t := range rep.Targets {
		res := "PASS"
		if !t.Pass {
			res = "MISS"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.Name, t.Measured, t.Goal, res)
	}
}

func errorsText(errs map[string]int) string {
	if len(errs) == 0 {
		return "0"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, errs[k]))
	}
	return strings.Join(parts, " ")
}
