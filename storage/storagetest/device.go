package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

func newDeviceCode(code, userCode, clientID string) storage.DeviceCode {
	return storage.DeviceCode{
		DeviceCode: code,
		UserCode:   userCode,
		ClientID:   clientID,
		Status:     storage.DevicePending,
		Interval:   5 * time.Second,
		CreatedAt:  t0,
		ExpiresAt:  at(10 * time.Minute),
		Data:       []byte(`{"scopes":["openid"]}`),
	}
}

var deviceTests = []test{
	{"CreateGetBothWays", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "tv")
		d := newDeviceCode("dc1", "uc1", "tv")
		must(t, s.CreateDeviceCode(ctx, d))
		got, err := s.GetDeviceCode(ctx, "dc1")
		must(t, err)
		wantEqual(t, got, d)
		got, err = s.GetDeviceCodeByUserCode(ctx, "uc1")
		must(t, err)
		wantEqual(t, got, d)
		_, err = s.GetDeviceCode(ctx, "uc1")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetDeviceCodeByUserCode(ctx, "dc1")
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"DuplicateCodes", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "tv")
		must(t, s.CreateDeviceCode(ctx, newDeviceCode("dc1", "uc1", "tv")))
		wantErr(t, s.CreateDeviceCode(ctx, newDeviceCode("dc1", "uc2", "tv")), storage.ErrAlreadyExists)
		wantErr(t, s.CreateDeviceCode(ctx, newDeviceCode("dc2", "uc1", "tv")), storage.ErrAlreadyExists)
	}},
	{"UnknownClient", func(t *testing.T, s storage.Store) {
		wantErr(t, s.CreateDeviceCode(ctxFor(t), newDeviceCode("dc1", "uc1", "nope")), storage.ErrNotFound)
	}},
	{"Update", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "tv")
		d := newDeviceCode("dc1", "uc1", "tv")
		must(t, s.CreateDeviceCode(ctx, d))
		want := d
		want.Status, want.Subject = storage.DeviceApproved, "u1"
		want.Interval, want.LastPolledAt = 10*time.Second, at(time.Minute)
		want.Data = []byte(`{"granted":["openid"]}`)
		must(t, s.UpdateDeviceCode(ctx, "dc1", func(got *storage.DeviceCode) error {
			wantEqual(t, *got, d)
			*got = want
			return nil
		}))
		got, err := s.GetDeviceCode(ctx, "dc1")
		must(t, err)
		wantEqual(t, got, want)
	}},
	{"UpdateNotFoundAndFnError", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "tv")
		wantErr(t, s.UpdateDeviceCode(ctx, "nope", func(*storage.DeviceCode) error { return nil }), storage.ErrNotFound)
		d := newDeviceCode("dc1", "uc1", "tv")
		must(t, s.CreateDeviceCode(ctx, d))
		boom := errors.New("boom")
		wantErr(t, s.UpdateDeviceCode(ctx, "dc1", func(d *storage.DeviceCode) error {
			d.Status = storage.DeviceApproved
			return boom
		}), boom)
		got, err := s.GetDeviceCode(ctx, "dc1")
		must(t, err)
		wantEqual(t, got, d)
	}},
	{"ConcurrentUpdatesSerialized", func(t *testing.T, s storage.Store) {
		// Every poll raises the interval by one second: none may be lost,
		// as slow_down must hold on every node.
		ctx := ctxFor(t)
		mkClient(t, s, "tv")
		must(t, s.CreateDeviceCode(ctx, newDeviceCode("dc1", "uc1", "tv")))
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- updateRetrying(ctx, s, "dc1", func(d *storage.DeviceCode) error {
					d.Interval += time.Second
					return nil
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		got, err := s.GetDeviceCode(ctx, "dc1")
		must(t, err)
		if want := 5*time.Second + n*time.Second; got.Interval != want {
			t.Fatalf("interval %s after %d concurrent updates, want %s", got.Interval, n, want)
		}
	}},
	{"SingleUseUnderRace", func(t *testing.T, s storage.Store) {
		// Two redemptions of an approved code: exactly one turns it used.
		ctx := ctxFor(t)
		mkClient(t, s, "tv")
		d := newDeviceCode("dc1", "uc1", "tv")
		d.Status = storage.DeviceApproved
		must(t, s.CreateDeviceCode(ctx, d))
		errUsed := errors.New("used")
		var wg sync.WaitGroup
		results := make(chan error, 2)
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results <- updateRetrying(ctx, s, "dc1", func(d *storage.DeviceCode) error {
					if d.Status != storage.DeviceApproved {
						return errUsed
					}
					d.Status = storage.DeviceUsed
					return nil
				})
			}()
		}
		wg.Wait()
		close(results)
		var ok, used int
		for err := range results {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, errUsed):
				used++
			default:
				t.Fatalf("redeem: %v", err)
			}
		}
		if ok != 1 || used != 1 {
			t.Fatalf("%d redemptions succeeded and %d found the code used, want 1 and 1", ok, used)
		}
	}},
	{"GarbageCollected", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "tv")
		now := at(time.Hour)
		for i := range 3 {
			d := newDeviceCode(fmt.Sprintf("dc%d", i), fmt.Sprintf("uc%d", i), "tv")
			d.ExpiresAt = now.Add(-time.Minute)
			if i == 2 {
				d.ExpiresAt = now.Add(time.Minute)
			}
			must(t, s.CreateDeviceCode(ctx, d))
		}
		for calls := 0; ; calls++ {
			n, err := s.GarbageCollect(ctx, now, 1)
			must(t, err)
			if n == 0 {
				break
			}
			if calls > 10 {
				t.Fatal("GarbageCollect never finishes")
			}
		}
		for i, live := range []bool{false, false, true} {
			_, err := s.GetDeviceCode(ctx, fmt.Sprintf("dc%d", i))
			if got := err == nil; got != live {
				t.Errorf("device code dc%d: exists %v, want %v (err %v)", i, got, live, err)
			}
		}
	}},
	{"DeletedWithClient", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "tv")
		must(t, s.CreateDeviceCode(ctx, newDeviceCode("dc1", "uc1", "tv")))
		must(t, s.DeleteClient(ctx, "tv"))
		_, err := s.GetDeviceCode(ctx, "dc1")
		wantErr(t, err, storage.ErrNotFound)
	}},
}

// updateRetrying is UpdateDeviceCode, retried while it reports a
// serialization conflict, as the token endpoint's callers do.
func updateRetrying(ctx context.Context, s storage.Store, code string, fn func(*storage.DeviceCode) error) error {
	for {
		err := s.UpdateDeviceCode(ctx, code, fn)
		if !errors.Is(err, storage.ErrConflict) {
			return err
		}
	}
}
