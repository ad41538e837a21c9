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
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/gcfloor"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/server"
)

// shutdownTimeout bounds how long a shutdown waits for in-flight requests.
const shutdownTimeout = 20 * time.Second

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// cmdServe runs the server until ctx is cancelled (SIGINT/SIGTERM), then
// shuts down gracefully, finishing in-flight requests. It serves HTTPS
// itself when tls.cert_file and tls.key_file are set, reloading them on
// SIGHUP, and plain HTTP otherwise (behind a TLS-terminating proxy).
// /metrics goes on metrics_listen when that is set. --listen ADDR
// overrides the listen setting.
//
// Start-up writes nothing before it can serve: the configuration is
// validated and the ports are taken first, then the dev secret and the
// database are made.
func cmdServe(ctx context.Context, configPath string, args []string, stderr io.Writer, lookup env) int {
	listenFlag, err := serveFlags(args)
	if err != nil {
		return fail(stderr, err)
	}
	if listenFlag != "" {
		lookup = withListen(lookup, listenFlag)
	}
	cfg, err := server.LoadAndValidate(configPath, lookup)
	if err != nil {
		return fail(stderr, err)
	}
	logger := newLogger(stderr, cfg.LogLevel)
	ratelimit.LogRedisTo(logger)
	for _, name := range server.UnknownEnv(os.Environ()) {
		logger.Warn("unknown GATEHOUSE_ environment variable ignored (misspelt key?)", "name", name)
	}

	servers := []*listener{{name: "gatehouse", addr: cfg.Listen}}
	if cfg.MetricsListen != "" {
		servers = append(servers, &listener{name: "metrics", addr: cfg.MetricsListen})
	}
	for _, l := range servers {
		if err := l.listen(); err != nil {
			for _, started := range servers {
				started.close()
			}
			return fail(stderr, err)
		}
	}
	defer func() {
		for _, l := range servers {
			l.close()
		}
	}()
	var dln net.Listener
	if cfg.DebugListen != "" {
		if dln, err = net.Listen("tcp", cfg.DebugListen); err != nil {
			return fail(stderr, fmt.Errorf("debug_listen: %w", err))
		}
		defer dln.Close()
	}

	secretPath, err := server.EnsureDevSecret(&cfg)
	if err != nil {
		return fail(stderr, err)
	}
	if cfg.Dev {
		msg := "DEV MODE: not for production (http issuer allowed, secret may be generated)"
		if secretPath != "" {
			msg += "; generated secret kept in " + secretPath
		}
		logger.Warn(msg, "issuer", cfg.Issuer, "listen", cfg.Listen, "database", server.RedactDSN(cfg.Database))
	}
	gogc, _ := lookup("GOGC")
	defer gcfloor.Start(server.HeapFloor, gogc)()
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

	var cert *server.Certificate
	if cfg.TLS.CertFile != "" {
		if cert, err = server.LoadCertificate(cfg.TLS.CertFile, cfg.TLS.KeyFile, logger); err != nil {
			return fail(stderr, err)
		}
	}
	servers[0].handler, servers[0].cert = srv.Handler, cert
	if len(servers) > 1 {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.Metrics.Handler())
		servers[1].handler = mux
	}
	if dln != nil {
		logger.Warn("profiler (pprof) served on the debug address", "debug_listen", dln.Addr().String())
		go func() { _ = http.Serve(dln, server.DebugHandler()) }()
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	errc := make(chan error, len(servers))
	for _, l := range servers {
		l.prepare(logger)
		go func() { errc <- l.serve() }()
		scheme := "http"
		if l.cert != nil {
			scheme = "https"
		}
		logger.Info(l.name+" serving", "issuer", cfg.Issuer, "listen", l.ln.Addr().String(), "scheme", scheme)
	}
	printNextSteps(stderr, logger, cfg, configPath, secretPath)
	// The janitor stops, and is waited for, before srv.Close and
	// store.Close run (defers run last-in first-out), however serve ends.
	janitorCtx, stopJanitor := context.WithCancel(ctx)
	janitorDone := make(chan struct{})
	go func() {
		defer close(janitorDone)
		srv.RunJanitor(janitorCtx, cfg.Janitor.Interval.D(), logger)
	}()
	defer func() { stopJanitor(); <-janitorDone }()

	for {
		select {
		case err := <-errc:
			shutdown(servers, logger)
			return fail(stderr, fmt.Errorf("serve: %w", err))
		case <-hup:
			if cert == nil {
				logger.Info("SIGHUP: no TLS certificate to reload")
				continue
			}
			_ = cert.Reload() // logged; the old certificate stays on failure
			continue
		case <-ctx.Done():
		}
		break
	}
	logger.Info("shutting down")
	if err := shutdown(servers, logger); err != nil {
		return fail(stderr, fmt.Errorf("shutdown: %w", err))
	}
	return 0
}

// listener is one HTTP server: the main one or the metrics one.
type listener struct {
	name    string
	addr    string
	handler http.Handler
	cert    *server.Certificate // HTTPS when set
	ln      net.Listener
	srv     *http.Server
}

// listen takes the listener's port, before anything else is made.
func (l *listener) listen() error {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", l.name, err)
	}
	l.ln = ln
	return nil
}

// prepare builds the HTTP server for the handler, once set.
func (l *listener) prepare(logger *slog.Logger) {
	l.srv = &http.Server{
		Handler:           l.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if l.cert != nil {
		l.srv.TLSConfig = l.cert.TLSConfig()
	}
}

// serve serves on the port taken by listen until the server shuts down.
func (l *listener) serve() error {
	var err error
	if l.cert != nil {
		err = l.srv.ServeTLS(l.ln, "", "") // the certificate comes from TLSConfig
	} else {
		err = l.srv.Serve(l.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (l *listener) close() {
	if l.ln != nil {
		l.ln.Close()
	}
}

// shutdown stops accepting, lets in-flight requests finish (for up to
// shutdownTimeout) and closes every server.
func shutdown(servers []*listener, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, l := range servers {
		wg.Go(func() {
			if err := l.srv.Shutdown(ctx); err != nil {
				logger.Error("shutdown", "server", l.name, "error", err)
				errs[i] = fmt.Errorf("%s: %w", l.name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
