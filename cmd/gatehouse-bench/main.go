// Command gatehouse-bench loads every Gatehouse endpoint and measures, in
// the same run and on the same machine, the physical limits that bound
// them (JWT signing, bcrypt, SQLite commits, a bare net/http handler), so
// that each result is a ratio that holds on a noisy machine.
//
// By default it starts Gatehouse as a child process of its own on a new
// SQLite file (so the server's CPU time and peak memory are measured apart
// from the load generator's); with -url it loads a running server with the
// given client and user credentials instead. It prints a Markdown report on
// stdout, a progress line on stderr while it runs, and JSON with -json.
//
//	go run ./cmd/gatehouse-bench -json bench.json
//	go run ./cmd/gatehouse-bench -scenarios client_credentials,introspection -seed-users 1000000 -seed-tokens 10000000
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	url, clientID, clientSecret, username, password string
	serverPID                                       int

	scenarios     []string
	concurrency   []int
	load          loadSpec
	limitDuration time.Duration
	alg           string
	rsaBits       int
	bcryptCost    int
	seedUsers     int
	seedTokens    int
	flood         bool
	jsonPath      string
	fromJSON      string
	debugListen   string
	keepDir       bool
	schedBatch    bool
	compare       compareOptions
}

func main() {
	if isChild, code := childMain(); isChild {
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is one invocation: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse-bench:", err)
		return 2
	}
	var rep *report
	if opts.fromJSON != "" {
		rep, err = loadReport(opts.fromJSON)
	} else {
		rep, err = bench(ctx, opts, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "gatehouse-bench:", err)
		return 1
	}
	if opts.jsonPath != "" {
		raw, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(opts.jsonPath, append(raw, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "gatehouse-bench: write JSON:", err)
			return 1
		}
	}
	writeMarkdown(stdout, rep)
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("gatehouse-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "", "load a running server at this base URL instead of starting one")
	fs.StringVar(&o.clientID, "client-id", "", "with -url: a confidential client allowed client_credentials, password, refresh_token and authorization_code")
	fs.StringVar(&o.clientSecret, "client-secret", "", "with -url: the client's secret")
	fs.StringVar(&o.username, "username", "", "with -url: a user's email, for the password, refresh, userinfo and authcode scenarios")
	fs.StringVar(&o.password, "password", "", "with -url: the user's password")
	fs.IntVar(&o.serverPID, "server-pid", 0, "with -url: the server's process id, to measure its CPU time and memory")
	scen := fs.String("scenarios", "all", "comma-separated scenarios: "+strings.Join(scenarioNames(), ","))
	conc := fs.String("concurrency", "1,16,64", "comma-separated concurrency levels")
	fs.DurationVar(&o.load.dur, "duration", 5*time.Second, "how long each scenario runs at each concurrency")
	fs.Int64Var(&o.load.count, "requests", 0, "run each scenario for this many requests instead of -duration")
	fs.DurationVar(&o.limitDuration, "limit-duration", 3*time.Second, "how long each limit is measured")
	fs.StringVar(&o.alg, "alg", "RS256", "signing algorithm of the started server (RS256, ES256)")
	fs.IntVar(&o.rsaBits, "rsa-bits", 2048, "with -alg RS256: the started server's keys.rsa_bits (2048, 3072, 4096)")
	fs.IntVar(&o.bcryptCost, "bcrypt-cost", 12, "bcrypt cost of the started server and of the bcrypt limit")
	fs.IntVar(&o.seedUsers, "seed-users", 0, "then seed this many users and compare token and introspection")
	fs.IntVar(&o.seedTokens, "seed-tokens", 0, "then seed this many token-session rows and compare token and introspection")
	fs.BoolVar(&o.flood, "flood", true, "measure JWKS and client_credentials p99 during a password-grant flood")
	fs.StringVar(&o.jsonPath, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&o.fromJSON, "from-json", "", "run nothing: print the Markdown of a saved JSON report, targets checked again")
	fs.StringVar(&o.debugListen, "debug-listen", "", "serve the started server's pprof on this address")
	fs.BoolVar(&o.keepDir, "keep", false, "keep the started server's temporary database")
	fs.BoolVar(&o.schedBatch, "sched-batch", true, "run the load generator under SCHED_BATCH (Linux), so that it does not preempt the server on the cores they share (not during the password flood, which measures latency)")
	fs.StringVar(&o.compare.url, "compare", "", "also load another server (its issuer URL: endpoints from its discovery document) and print both side by side")
	fs.StringVar(&o.compare.tokenURL, "compare-token-url", "", "with -compare: its token endpoint, overriding discovery")
	fs.StringVar(&o.compare.introspectURL, "compare-introspect-url", "", "with -compare: its introspection endpoint (e.g. Hydra's admin port), overriding discovery")
	fs.StringVar(&o.compare.clientID, "compare-client-id", "", "with -compare: a confidential client allowed client_credentials (client_secret_basic)")
	fs.StringVar(&o.compare.clientSecret, "compare-client-secret", "", "with -compare: that client's secret")
	fs.StringVar(&o.compare.scope, "compare-scope", "", "with -compare: the scope of its client_credentials requests (none by default)")
	fs.StringVar(&o.compare.username, "compare-username", "", "with -compare: a user for the password, refresh and userinfo scenarios (when it has the password grant)")
	fs.StringVar(&o.compare.password, "compare-password", "", "with -compare: that user's password")
	fs.IntVar(&o.compare.pid, "compare-pid", 0, "with -compare: its server process id, to measure its CPU time and memory")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.scenarios = scenarioNames()
	if *scen != "all" {
		o.scenarios = strings.Split(*scen, ",")
		for _, s := range o.scenarios {
			if _, ok := findScenario(s); !ok {
				return o, fmt.Errorf("unknown scenario %q (have %s)", s, strings.Join(scenarioNames(), ", "))
			}
		}
	}
	for _, f := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return o, fmt.Errorf("bad concurrency %q", f)
		}
		o.concurrency = append(o.concurrency, n)
	}
	switch {
	case o.alg != "RS256" && o.alg != "ES256":
		return o, fmt.Errorf("-alg: %q is not RS256 or ES256", o.alg)
	case o.rsaBits != 2048 && o.rsaBits != 3072 && o.rsaBits != 4096:
		return o, fmt.Errorf("-rsa-bits: %d is not 2048, 3072 or 4096", o.rsaBits)
	case o.url != "" && (o.clientID == "" || o.clientSecret == ""):
		return o, errors.New("-url needs -client-id and -client-secret")
	case o.url == "" && o.serverPID != 0:
		return o, errors.New("-server-pid goes with -url")
	case o.compare.url != "" && (o.compare.clientID == "" || o.compare.clientSecret == ""):
		return o, errors.New("-compare needs -compare-client-id and -compare-client-secret")
	case o.compare.url == "" && (o.compare.clientID != "" || o.compare.tokenURL != "" || o.compare.introspectURL != "" || o.compare.pid != 0):
		return o, errors.New("-compare-* options go with -compare URL")
	case (o.seedUsers > 0 || o.seedTokens > 0) && o.url != "":
		return o, errors.New("-seed-users and -seed-tokens need the started server, not -url")
	}
	return o, nil
}

func scenarioNames() []string {
	var names []string
	for _, s := range scenarios() {
		names = append(names, s.name)
	}
	return names
}

// loadReport reads a JSON report and checks its targets again, with the
// CPU ratios worked out again (reports older than them have none).
func loadReport(path string) (*report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range rep.Results {
		rep.Results[i].CPURatio = cpuRatio(rep.Results[i], rep.Machine.GOMAXPROCS)
	}
	rep.Targets = checkTargets(&rep)
	return &rep, nil
}

// has reports whether the run includes the scenario.
func (o options) has(name string) bool { return slices.Contains(o.scenarios, name) }
