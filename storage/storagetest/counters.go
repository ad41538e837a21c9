package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

var counterTests = []test{
	{"IncrementWithinWindow", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		const w = 15 * time.Minute
		for i := int64(1); i <= 3; i++ {
			n, reset, err := s.IncrementCounter(ctx, "login:u1", w, at(time.Duration(i)*time.Minute))
			must(t, err)
			if n != i || !reset.Equal(at(time.Minute+w)) {
				t.Fatalf("increment %d: got %d until %v, want %d until %v", i, n, reset, i, at(time.Minute+w))
			}
		}
		n, reset, err := s.GetCounter(ctx, "login:u1", at(10*time.Minute))
		must(t, err)
		if n != 3 || !reset.Equal(at(time.Minute+w)) {
			t.Fatalf("get: %d until %v", n, reset)
		}
		n, _, err = s.GetCounter(ctx, "login:other", at(10*time.Minute))
		must(t, err)
		if n != 0 {
			t.Fatalf("unknown key counted %d", n)
		}
	}},
	{"WindowEnds", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		const w = time.Minute
		_, _, err := s.IncrementCounter(ctx, "k", w, t0)
		must(t, err)
		_, _, err = s.IncrementCounter(ctx, "k", w, at(time.Second))
		must(t, err)
		n, reset, err := s.GetCounter(ctx, "k", at(w))
		must(t, err)
		if n != 0 || !reset.IsZero() {
			t.Fatalf("ended window still counts %d until %v", n, reset)
		}
		n, reset, err = s.IncrementCounter(ctx, "k", w, at(w))
		must(t, err)
		if n != 1 || !reset.Equal(at(2*w)) {
			t.Fatalf("new window: %d until %v", n, reset)
		}
	}},
	{"Delete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		_, _, err := s.IncrementCounter(ctx, "k", time.Minute, t0)
		must(t, err)
		must(t, s.DeleteCounter(ctx, "k"))
		must(t, s.DeleteCounter(ctx, "k"))
		n, _, err := s.GetCounter(ctx, "k", t0)
		must(t, err)
		if n != 0 {
			t.Fatalf("deleted counter counts %d", n)
		}
	}},
	{"ConcurrentIncrementsNotLost", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = retry(func() error {
					_, _, err := s.IncrementCounter(ctx, "k", time.Hour, t0)
					return err
				})
			})
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		got, _, err := s.GetCounter(ctx, "k", t0)
		must(t, err)
		if got != n {
			t.Fatalf("count %d after %d increments", got, n)
		}
	}},
}
