package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// Certificate is the TLS certificate served, reloadable from its files
// while serving (SIGHUP): GetCertificate hands out whichever pair loaded
// last, and a reload that fails keeps the previous one.
type Certificate struct {
	certFile, keyFile string
	logger            *slog.Logger
	cert              atomic.Pointer[tls.Certificate]
}

// LoadCertificate loads the PEM certificate chain and key files.
func LoadCertificate(certFile, keyFile string, logger *slog.Logger) (*Certificate, error) {
	if logger == nil {
		logger = slog.Default()
	}
	c := &Certificate{certFile: certFile, keyFile: keyFile, logger: logger}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again. On failure the current certificate stays
// in use and the error is logged and returned.
func (c *Certificate) Reload() error {
	if err := c.load(); err != nil {
		c.logger.Error("tls: reload failed; still serving the previous certificate", "error", err)
		return err
	}
	leaf := c.cert.Load().Leaf
	c.logger.Info("tls: certificate reloaded", "subject", leaf.Subject.String(), "not_after", leaf.NotAfter)
	return nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cert.Load(), nil
}

// TLSConfig is the server's TLS configuration: TLS 1.2 or later, the
// certificate from c, HTTP/2 and HTTP/1.1.
func (c *Certificate) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: c.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}

func (c *Certificate) load() error {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("tls: load %s and %s: %w", c.certFile, c.keyFile, err)
	}
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("tls: parse %s: %w", c.certFile, err)
		}
	}
	c.cert.Store(&pair)
	return nil
}
