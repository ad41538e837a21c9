package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/server"
)

// healthTimeout bounds the whole check.
const healthTimeout = 5 * time.Second

// cmdHealthcheck asks the local server's /readyz whether it is ready (the
// database answers, signing keys are loaded): exit 0 when it answers 200.
// It is what a container's HEALTHCHECK runs, so it reads only the listen
// address and TLS settings from the configuration, needs no secret and
// never opens the database.
func cmdHealthcheck(ctx context.Context, configPath string, args []string, stdout, stderr io.Writer, lookup env) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	target := fs.String("url", "", "base URL to check (default: this configuration's listen address)")
	if err := parse(fs, args); err != nil {
		return fail(stderr, err)
	}
	cfg, err := server.LoadConfig(configPath, lookup)
	var problems server.Problems
	if err != nil && !errors.As(err, &problems) {
		return fail(stderr, fmt.Errorf("healthcheck: %w", err))
	}
	base, serverName, err := healthURL(cfg, *target)
	if err != nil {
		return fail(stderr, fmt.Errorf("healthcheck: %w", err))
	}
	client := &http.Client{
		Timeout: healthTimeout,
		// The certificate names the public host, not the loopback address
		// dialled: verify it against that name.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}},
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return fail(stderr, fmt.Errorf("healthcheck: %w", err))
	}
	resp, err := client.Do(req)
	if err != nil {
		return fail(stderr, fmt.Errorf("healthcheck: %w", err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fail(stderr, fmt.Errorf("healthcheck: %s/readyz answered %d", base, resp.StatusCode))
	}
	_ = json.NewEncoder(stdout).Encode(map[string]any{"ready": true, "url": base + "/readyz"})
	return 0
}

// healthURL is the base URL to check and the TLS server name to expect:
// target when given, else the listen address (a wildcard host reached on
// loopback), over https when the server serves TLS itself.
func healthURL(cfg server.Config, target string) (string, string, error) {
	if target != "" {
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", "", fmt.Errorf("--url %q is not an http(s) URL", target)
		}
		return strings.TrimSuffix(u.String(), "/"), u.Hostname(), nil
	}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return "", "", fmt.Errorf("listen %q is not host:port", cfg.Listen)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme, serverName := "http", host
	if cfg.TLS.CertFile != "" {
		scheme = "https"
		if u, err := url.Parse(cfg.Issuer); err == nil && u.Hostname() != "" {
			serverName = u.Hostname()
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port), serverName, nil
}
