package server

import (
	"strings"
	"testing"
	"time"
)

// TestRefreshReuseGraceConfig: lifetimes.refresh_reuse_grace defaults to
// 0s, comes from the file or GATEHOUSE_LIFETIMES_REFRESH_REUSE_GRACE, and
// must lie between 0s and 5m.
func TestRefreshReuseGraceConfig(t *testing.T) {
	if d := Defaults().Lifetimes.RefreshReuseGrace.D(); d != 0 {
		t.Errorf("default refresh_reuse_grace %s, want 0s", d)
	}
	p := writeFile(t, "gatehouse.yaml", "lifetimes:\n  refresh_reuse_grace: 10s\n")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want time.Duration
		err  string
	}{
		{name: "file", want: 10 * time.Second},
		{name: "env", env: map[string]string{"GATEHOUSE_LIFETIMES_REFRESH_REUSE_GRACE": "2s"}, want: 2 * time.Second},
		{name: "negative", env: map[string]string{"GATEHOUSE_LIFETIMES_REFRESH_REUSE_GRACE": "-1s"}, err: "lifetimes.refresh_reuse_grace"},
		{name: "too long", env: map[string]string{"GATEHOUSE_LIFETIMES_REFRESH_REUSE_GRACE": "6m"}, err: "lifetimes.refresh_reuse_grace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"GATEHOUSE_ISSUER": "https://id.example.com", "GATEHOUSE_SECRET": testSecret, "GATEHOUSE_DEV": "false"}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := LoadConfig(p, envMap(env))
			if err == nil {
				err = c.Validate()
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Lifetimes.RefreshReuseGrace.D(); got != tc.want {
				t.Errorf("refresh_reuse_grace %s, want %s", got, tc.want)
			}
		})
	}
}
