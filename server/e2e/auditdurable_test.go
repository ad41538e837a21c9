package e2e

import (
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestIssuedTokenAuditedBeforeAnswer: the audit event of an issued token
// and the token's session are stored before the client has its answer
// (issue 18: a request hands both to the group committer without waiting
// for each, and the answer waits for them), also with many clients at
// once: whenever n answers have arrived, at least n events are stored,
// and every token introspects as active at once.
func TestIssuedTokenAuditedBeforeAnswer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
	var answered atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 8 {
				r := postNoFatal(f.env.URL+"/oauth2/token", form, f.clientID, f.secret)
				if r.Status != http.StatusOK {
					t.Errorf("client_credentials: %d %s", r.Status, r.Body)
					return
				}
				n := answered.Add(1)
				evs, err := f.env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Type: audit.TokenIssued, Limit: 1000})
				if err != nil {
					t.Error(err)
					return
				}
				if int64(len(evs)) < n {
					t.Errorf("%d answers arrived but only %d token.issued events are stored", n, len(evs))
					return
				}
				at, _ := r.JSON["access_token"].(string)
				in := postNoFatal(f.env.URL+"/oauth2/introspect", url.Values{"token": {at}}, f.clientID, f.secret)
				if in.Status != http.StatusOK || in.JSON["active"] != true {
					t.Errorf("a token just answered introspects as %d %s", in.Status, in.Body)
					return
				}
			}
		})
	}
	wg.Wait()
}
