package server

import (
	"strings"
	"testing"
	"time"
)

// TestValidateOps: impossible ports and janitor or timeout settings are
// validation errors naming their key.
func TestValidateOps(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string // "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"port 0", func(c *Config) { c.Listen = "127.0.0.1:0"; c.Issuer = "http://127.0.0.1:8080" }, ""},
		{"port 99999", func(c *Config) { c.Listen = "127.0.0.1:99999" }, "listen: port"},
		{"named port", func(c *Config) { c.Listen = "127.0.0.1:http" }, "listen: port"},
		{"metrics port", func(c *Config) { c.MetricsListen = "127.0.0.1:70000" }, "metrics_listen: port"},
		{"batch 0", func(c *Config) { c.Janitor.BatchSize = 0 }, "janitor.batch_size"},
		{"negative pause", func(c *Config) { c.Janitor.BatchPause = Duration(-time.Second) }, "janitor.batch_pause"},
		{"short pass", func(c *Config) { c.Janitor.PassTimeout = Duration(time.Millisecond) }, "janitor.pass_timeout"},
		{"statement timeout off", func(c *Config) { c.DatabasePool.StatementTimeout = 0 }, ""},
		{"statement timeout tiny", func(c *Config) { c.DatabasePool.StatementTimeout = Duration(time.Millisecond) }, "database_pool.statement_timeout"},
		{"lock timeout negative", func(c *Config) { c.DatabasePool.LockTimeout = Duration(-time.Second) }, "database_pool.lock_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			c.Dev = true
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
