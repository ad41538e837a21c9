package server

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDeployFiles keeps deploy/ consistent, since no container engine runs
// in the tests: the nodes' configuration loads and validates with the
// environment compose.yaml gives it, the proxy Caddy forwards to is every
// Gatehouse service, and the one trusted proxy is Caddy's fixed address.
func TestDeployFiles(t *testing.T) {
	env := map[string]string{
		"GATEHOUSE_ISSUER":   "https://id.example.com",
		"GATEHOUSE_DATABASE": "postgres://gatehouse:pw@postgres:5432/gatehouse?sslmode=disable",
		"GATEHOUSE_SECRET":   "0123456789abcdef0123456789abcdef0123",
	}
	cfg, _, err := Load("../deploy/gatehouse.yaml", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("deploy/gatehouse.yaml: %v", err)
	}
	if cfg.Dev || !IsPostgres(cfg.Database) || cfg.RateLimit.RedisURL == "" {
		t.Errorf("deploy/gatehouse.yaml: dev %v, database %q, redis %q", cfg.Dev, RedactDSN(cfg.Database), cfg.RateLimit.RedisURL)
	}

	raw, err := os.ReadFile("../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Networks    any               `yaml:"networks"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	var nodes []string
	for name, s := range compose.Services {
		if slices.Contains(s.Command, "serve") {
			nodes = append(nodes, name)
			for _, k := range []string{"GATEHOUSE_ISSUER", "GATEHOUSE_DATABASE_FILE", "GATEHOUSE_SECRET_FILE"} {
				if s.Environment[k] == "" {
					t.Errorf("compose service %s lacks %s", name, k)
				}
			}
		}
	}
	slices.Sort(nodes)
	if len(nodes) < 2 {
		t.Fatalf("compose.yaml runs %d Gatehouse nodes, want at least 2", len(nodes))
	}

	caddy, err := os.ReadFile("../deploy/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	var upstreams []string
	for _, m := range regexp.MustCompile(`([a-z0-9-]+):8080`).FindAllStringSubmatch(string(caddy), -1) {
		upstreams = append(upstreams, m[1])
	}
	slices.Sort(upstreams)
	if !slices.Equal(upstreams, nodes) {
		t.Errorf("Caddyfile forwards to %v, compose runs nodes %v", upstreams, nodes)
	}
	proxy := regexp.MustCompile(`ipv4_address:\s*([0-9.]+)`).FindSubmatch(raw)
	if proxy == nil || !slices.Equal(cfg.TrustedProxies, []string{string(proxy[1])}) {
		t.Errorf("trusted_proxies %v does not name the proxy's fixed address %q", cfg.TrustedProxies, proxy)
	}
}
