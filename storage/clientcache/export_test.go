package clientcache

import (
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// SetClock makes the cache of s read time from now.
func SetClock(s storage.Store, now func() time.Time) { s.(*Store).now = now }
