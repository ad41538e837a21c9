package server

import (
	"context"
	"log/slog"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/server/backchannel"
	"github.com/gatehouse-id/gatehouse/server/metrics"
	"github.com/gatehouse-id/gatehouse/storage"
)

// startBackchannel runs the back-channel logout sender in the background
// and returns the function that stops it and waits for it.
func startBackchannel(cfg Config, store storage.Store, km *keys.Manager, rec *audit.Recorder, mets *metrics.Metrics, logger *slog.Logger) func() {
	b := cfg.BackchannelLogout
	sender := backchannel.New(backchannel.Options{
		Store:        store,
		Keys:         km,
		Issuer:       cfg.Issuer,
		AllowedHosts: b.AllowedHosts,
		Timeout:      b.Timeout.D(),
		RetryFor:     b.RetryFor.D(),
		Interval:     b.Interval.D(),
		Audit:        rec,
		Count:        mets.BackchannelLogout,
		Logger:       logger,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sender.Run(ctx)
	}()
	return func() { cancel(); <-done }
}
