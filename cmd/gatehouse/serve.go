package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/server"
)

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// cmdServe runs the server until ctx is cancelled (SIGINT/SIGTERM), then
// shuts down gracefully, finishing in-flight requests.
func cmdServe(ctx context.Context, configPath string, args []string, stderr io.Writer, lookup env) int {
	if len(args) > 0 {
		return fail(stderr, fmt.Errorf("serve: unexpected argument %q", args[0]))
	}
	cfg, secretPath, err := server.Load(configPath, lookup)
	if err != nil {
		return fail(stderr, err)
	}
	logger := newLogger(stderr, cfg.LogLevel)
	if cfg.Dev {
		msg := "DEV MODE: not for production (http issuer allowed, secret may be generated)"
		if secretPath != "" {
			msg += "; generated secret kept in " + secretPath
		}
		logger.Warn(msg, "issuer", cfg.Issuer, "listen", cfg.Listen, "database", server.RedactDSN(cfg.Database))
	}
	for _, name := range server.UnknownEnv(os.Environ()) {
		logger.Warn("unknown GATEHOUSE_ environment variable ignored (misspelt key?)", "name", name)
	}
	store, err := server.OpenStore(ctx, cfg.Database, cfg.DatabasePool)
	if err != nil {
		return fail(stderr, err)
	}
	defer store.Close()
	srv, err := server.New(ctx, cfg, store, logger)
	if err != nil {
		return fail(stderr, err)
	}
	defer srv.Close() // runs before store.Close: queued mail goes out first
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fail(stderr, fmt.Errorf("listen: %w", err))
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if cfg.DebugListen != "" {
		dln, err := net.Listen("tcp", cfg.DebugListen)
		if err != nil {
			return fail(stderr, fmt.Errorf("debug_listen: %w", err))
		}
		defer dln.Close()
		logger.Warn("profiler (pprof) served on the debug address", "debug_listen", dln.Addr().String())
		go func() { _ = http.Serve(dln, server.DebugHandler()) }()
	}
	go srv.RunJanitor(ctx, 10*time.Minute, logger)
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	logger.Info("gatehouse serving", "issuer", cfg.Issuer, "listen", ln.Addr().String())

	select {
	case err := <-errc:
		return fail(stderr, fmt.Errorf("serve: %w", err))
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fail(stderr, fmt.Errorf("shutdown: %w", err))
	}
	return 0
}
