package server

import (
	"errors"
	"net"
	"strings"

	"github.com/gatehouse-id/gatehouse/keys"
)

// MinSecretLength is the shortest system secret accepted: the key
// manager's own minimum, since the secret encrypts the signing keys.
const MinSecretLength = keys.MinSecretLength

// Validate checks the whole configuration and reports every problem at
// once, one per line: each section's validator (sectionValidators) adds
// what it finds. In dev mode a missing secret is allowed (Serve generates
// and persists one).
func (c *Config) Validate() error {
	k := &checker{}
	for _, validate := range sectionValidators() {
		validate(c, k)
	}
	return errors.Join(k.errs...)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
