package e2e

import (
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/server"
)

// TestMetadataDocumentClientDeleted: a metadata document client deleted
// from the database (the janitor, `gatehouse clients delete`, another
// node) while its document is still cached is fetched and stored again on
// its next use, and that flow works: the cache never hands out a client
// whose row is gone (its code and tokens would refer to nothing).
func TestMetadataDocumentClientDeleted(t *testing.T) {
	t.Parallel()
	env, cfg := documentClient(t, 3600)
	docURL := cfg.ClientID
	b := env.NewBrowser(t)
	unvettedConsentTwice(t, b, cfg, "Doc Agent")
	if err := env.Store.DeleteClient(t.Context(), docURL); err != nil {
		t.Fatal(err)
	}
	// Deleted behind the server's back: it notices within its client
	// cache's TTL.
	time.Sleep(server.ClientCacheTTL + 100*time.Millisecond)
	unvettedConsentTwice(t, b, cfg, "Doc Agent")
}
