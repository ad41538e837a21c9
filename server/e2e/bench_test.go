package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/internal/gcfloor"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// These benchmarks measure whole HTTP requests against a real server on a
// SQLite file, from a client in the same process, in parallel. Run:
//
//	go test -run XXX -bench . -benchtime 3s ./server/e2e
//
// The bcrypt-bound password grant runs at the production cost (12).

func benchEnv(b *testing.B, edit func(*server.Config)) (*servertest.Env, string, string) {
	b.Helper()
	if edit == nil {
		edit = func(*server.Config) {}
	}
	env := servertest.Start(b, servertest.WithConfig(edit))
	id, sec := env.CreateClient(b, clients.Spec{
		ID: "bench", GrantTypes: []string{"client_credentials", "password", "refresh_token"},
		Scopes: []string{"api:read", "openid", "offline_access"},
	})
	return env, id, sec
}

func benchPost(b *testing.B, c *http.Client, rawURL string, form url.Values, id, sec string) {
	req, _ := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, sec)
	benchDo(b, c, req)
}

// benchDo sends req, drains the answer and fails b unless it is 200.
func benchDo(b *testing.B, c *http.Client, req *http.Request) {
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkClientCredentials runs with and without the heap floor that
// gatehouse serve keeps (server.HeapFloor; here it covers the client too).
func BenchmarkClientCredentials(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		for _, floor := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/heapfloor=%t", alg, floor), func(b *testing.B) {
				if floor {
					defer gcfloor.Start(server.HeapFloor, "")()
				}
				env, id, sec := benchEnv(b, func(c *server.Config) { c.Keys.Algorithm = alg })
				form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
				b.RunParallel(func(pb *testing.PB) {
					c := &http.Client{}
					for pb.Next() {
						benchPost(b, c, env.URL+"/oauth2/token", form, id, sec)
					}
				})
			})
		}
	}
}

func BenchmarkIntrospection(b *testing.B) {
	env, id, sec := benchEnv(b, nil)
	r := postNoFatal(env.URL+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}, id, sec)
	token, _ := r.JSON["access_token"].(string)
	form := url.Values{"token": {token}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &http.Client{}
		for pb.Next() {
			benchPost(b, c, env.URL+"/oauth2/introspect", form, id, sec)
		}
	})
}

func BenchmarkJWKS(b *testing.B) {
	env, _, _ := benchEnv(b, nil)
	b.RunParallel(func(pb *testing.PB) {
		c := &http.Client{}
		for pb.Next() {
			resp, err := c.Get(env.URL + "/.well-known/jwks.json")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

func BenchmarkPasswordGrant(b *testing.B) {
	env, id, sec := benchEnv(b, func(c *server.Config) { c.BcryptCost = 12 })
	env.CreateUser(b, "bench@example.com", "correct horse battery", "Bench")
	form := url.Values{"grant_type": {"password"}, "username": {"bench@example.com"}, "password": {"correct horse battery"}, "scope": {"openid"}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &http.Client{}
		for pb.Next() {
			benchPost(b, c, env.URL+"/oauth2/token", form, id, sec)
		}
	})
}

func BenchmarkUserInfo(b *testing.B) {
	env, id, sec := benchEnv(b, nil)
	env.CreateUser(b, "bench@example.com", "correct horse battery", "Bench")
	r := postNoFatal(env.URL+"/oauth2/token", url.Values{"grant_type": {"password"}, "username": {"bench@example.com"},
		"password": {"correct horse battery"}, "scope": {"openid"}}, id, sec)
	token, _ := r.JSON["access_token"].(string)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &http.Client{}
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, env.URL+"/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			benchDo(b, c, req)
		}
	})
}

// BenchmarkRefreshRotation rotates one refresh-token chain per goroutine:
// a transaction that deactivates the old token and stores the new pair.
func BenchmarkRefreshRotation(b *testing.B) {
	env, id, sec := benchEnv(b, nil)
	env.CreateUser(b, "bench@example.com", "correct horse battery", "Bench")
	b.RunParallel(func(pb *testing.PB) {
		r := postNoFatal(env.URL+"/oauth2/token", url.Values{"grant_type": {"password"}, "username": {"bench@example.com"},
			"password": {"correct horse battery"}, "scope": {"openid offline_access"}}, id, sec)
		rt, _ := r.JSON["refresh_token"].(string)
		for pb.Next() {
			r := postNoFatal(env.URL+"/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, id, sec)
			if r.Status != http.StatusOK {
				b.Fatalf("status %d", r.Status)
			}
			rt, _ = r.JSON["refresh_token"].(string)
		}
	})
}
