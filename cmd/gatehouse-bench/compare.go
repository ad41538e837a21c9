package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// compareOptions describe another OAuth2 server (Ory Hydra, Keycloak, Dex,
// …) that -compare loads with the same scenarios, so that anyone can put
// Gatehouse side by side with it on their own machine.
type compareOptions struct {
	url                     string // issuer: its discovery document names the endpoints
	tokenURL, introspectURL string // override what discovery says
	clientID, clientSecret  string // a confidential client allowed client_credentials
	scope                   string // scope of client_credentials requests; "" sends none
	username, password      string // optional: enables password, refresh and userinfo
	pid                     int    // the other server's process, for CPU time and memory
}

// compareReport is what the other server did under the same scenarios.
type compareReport struct {
	Target    string    `json:"target"`
	Endpoints endpoints `json:"endpoints"`
	Results   []result  `json:"results"`
	Skipped   []string  `json:"skipped,omitempty"` // scenarios it cannot run, with why
}

// compareScenarios are the scenarios that need nothing but standard
// endpoints; userScenarios also need the password grant.
var (
	compareScenarios = []string{"client_credentials", "introspection", "jwks", "discovery"}
	userScenarios    = []string{"password", "refresh", "userinfo"}
)

// discover reads the other server's endpoints from its OpenID Connect
// discovery document (RFC 8414 metadata as the fallback), then applies the
// overrides.
func discover(ctx context.Context, client *http.Client, o compareOptions) (endpoints, error) {
	ctx, cancel := context.WithTimeout(ctx, compareTimeout)
	defer cancel()
	base := strings.TrimRight(o.url, "/")
	var meta struct {
		Token      string `json:"token_endpoint"`
		Introspect string `json:"introspection_endpoint"`
		UserInfo   string `json:"userinfo_endpoint"`
		JWKS       string `json:"jwks_uri"`
	}
	var ep endpoints
	var errs []error
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return ep, fmt.Errorf("-compare: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal(body, &meta) != nil {
			errs = append(errs, fmt.Errorf("%s: status %d", path, resp.StatusCode))
			continue
		}
		ep = endpoints{Token: meta.Token, Introspect: meta.Introspect, UserInfo: meta.UserInfo, JWKS: meta.JWKS, Discovery: base + path}
		break
	}
	if ep.Discovery == "" {
		return ep, fmt.Errorf("-compare %s: no discovery document: %w", o.url, errors.Join(errs...))
	}
	if o.tokenURL != "" {
		ep.Token = o.tokenURL
	}
	if o.introspectURL != "" {
		ep.Introspect = o.introspectURL
	}
	if ep.Token == "" {
		return ep, fmt.Errorf("-compare %s: no token_endpoint (give -compare-token-url)", o.url)
	}
	return ep, nil
}

// compareRun loads the other server with every scenario of names it can
// serve, at each concurrency, measuring its process when -compare-pid is set.
func compareRun(ctx context.Context, opts options, client *http.Client, progress io.Writer) (*compareReport, error) {
	o := opts.compare
	ep, err := discover(ctx, client, o)
	if err != nil {
		return nil, err
	}
	t := &target{childInfo: childInfo{URL: strings.TrimRight(o.url, "/"), ClientID: o.clientID, ClientSecret: o.clientSecret,
		Username: o.username, Password: o.password}, pid: o.pid, stop: func() error { return nil }}
	a := &api{t: t, client: client, ep: ep, ccScope: o.scope}
	rep := &compareReport{Target: o.url, Endpoints: ep}
	for _, name := range opts.scenarios {
		why := ""
		switch {
		case slices.Contains(userScenarios, name) && o.username == "":
			why = "needs -compare-username and -compare-password (a password grant)"
		case !slices.Contains(compareScenarios, name) && !slices.Contains(userScenarios, name):
			why = "uses Gatehouse's own pages or mix"
		case name == "introspection" && ep.Introspect == "":
			why = "no introspection_endpoint (give -compare-introspect-url)"
		case name == "userinfo" && ep.UserInfo == "":
			why = "no userinfo_endpoint"
		case name == "jwks" && ep.JWKS == "":
			why = "no jwks_uri"
		}
		if why != "" {
			rep.Skipped = append(rep.Skipped, name+": "+why)
			continue
		}
		s, _ := findScenario(name)
		for _, c := range opts.concurrency {
			r, err := runScenario(ctx, a, procStats{pid: o.pid}, s, c, opts.load, progress)
			if err != nil {
				return nil, fmt.Errorf("-compare: %w", err)
			}
			r.Database = "compare"
			rep.Results = append(rep.Results, r)
		}
	}
	return rep, nil
}

// cpuPerRequest is server CPU milliseconds per request, or -1 when unknown.
func cpuPerRequest(r result) float64 {
	if r.Requests == 0 || r.ServerCPUSeconds <= 0 {
		return -1
	}
	return 1000 * r.ServerCPUSeconds / float64(r.Requests)
}

// writeCompare prints Gatehouse and the other server side by side: the
// figure that holds on a noisy machine is server CPU per request.
func writeCompare(w io.Writer, rep *report) {
	c := rep.Compare
	if c == nil {
		return
	}
	fmt.Fprintf(w, "\nSide by side with %s (same scenarios, same load generator, one after the other). "+
		"CPU per request needs the server's process id (-compare-pid); \"–\" where it was not given.\n\n", c.Target)
	fmt.Fprintln(w, "| Scenario | Conc. | Gatehouse req/s | other req/s | Gatehouse CPU ms/req | other CPU ms/req | other / Gatehouse CPU | other errors |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|")
	ms := func(v float64) string {
		if v < 0 {
			return "–"
		}
		return fmt.Sprintf("%.3f", v)
	}
	for _, o := range c.Results {
		var g *result
		for i := range rep.Results {
			if r := &rep.Results[i]; r.Scenario == o.Scenario && r.Concurrency == o.Concurrency && r.Database == "empty" {
				g = r
			}
		}
		if g == nil {
			continue
		}
		gc, oc := cpuPerRequest(*g), cpuPerRequest(o)
		ratio := "–"
		if gc > 0 && oc > 0 {
			ratio = fmt.Sprintf("%.1f×", oc/gc)
		}
		fmt.Fprintf(w, "| %s | %d | %.1f | %.1f | %s | %s | %s | %s |\n",
			o.Scenario, o.Concurrency, g.RPS, o.RPS, ms(gc), ms(oc), ratio, errorsText(o.Errors))
	}
	for _, s := range c.Skipped {
		fmt.Fprintf(w, "\nNot run against %s: %s.", c.Target, s)
	}
	if len(c.Skipped) > 0 {
		fmt.Fprintln(w)
	}
}

// compareTimeout bounds the discovery request of -compare.
const compareTimeout = 10 * time.Second
