package keys

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults for Options.
const (
	DefaultAlgorithm       = RS256
	DefaultRetireAfter     = time.Hour
	DefaultRefreshInterval = time.Minute
	// MinSecretLength is the shortest system secret New accepts.
	MinSecretLength = 32
)

// Options configure a Manager. Only Store and Secret are required.
type Options struct {
	Store Store
	// Secret is the system secret (at least 32 bytes). Private keys are
	// encrypted under a key derived from it.
	Secret []byte
	// Algorithm of generated keys: RS256 (default, RSA-2048), ES256 (P-256)
	// or EdDSA (Ed25519). Existing keys keep their own algorithm.
	Algorithm string
	// RSABits is the size of generated RSA keys: 2048 (default), 3072 or
	// 4096. Existing keys keep their own size.
	RSABits int
	// RetireAfter is how long a key stays published after it stops
	// signing: the longest lifetime of a token it signs. Default 1h.
	RetireAfter time.Duration
	// PublishAhead is how long a rotated-in key is published before it
	// starts signing. Default 0.
	PublishAhead time.Duration
	// RefreshInterval is how often cached keys are reloaded from storage.
	// Default 1m.
	RefreshInterval time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default slog.Default(). Key material is never logged.
	Logger *slog.Logger
}

// validate fills defaults and reports every problem at once.
func (o *Options) validate() error {
	var errs []error
	if o.Store == nil {
		errs = append(errs, errors.New("store is required"))
	}
	if len(o.Secret) < MinSecretLength {
		errs = append(errs, fmt.Errorf("secret must be at least %d bytes", MinSecretLength))
	}
	if o.Algorithm == "" {
		o.Algorithm = DefaultAlgorithm
	}
	if !validAlgorithm(o.Algorithm) {
		errs = append(errs, fmt.Errorf("algorithm %q is not one of RS256, ES256, EdDSA", o.Algorithm))
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"retire after", &o.RetireAfter, DefaultRetireAfter},
		{"publish ahead", &o.PublishAhead, 0},
		{"refresh interval", &o.RefreshInterval, DefaultRefreshInterval},
	} {
		if *d.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative", d.name))
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.RSABits == 0 {
		o.RSABits = DefaultRSABits
	}
	if !validRSABits(o.RSABits) {
		errs = append(errs, fmt.Errorf("RSA key size %d is not 2048, 3072 or 4096", o.RSABits))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("keys: invalid options: %w", err)
	}
	return nil
}
