package server

import "time"

// validateKeys checks the keys section: the signing algorithm and the
// rotation timings.
func validateKeys(c *Config, k *checker) {
	switch c.Keys.Algorithm {
	case "RS256", "ES256":
	case "EdDSA":
		// fosite v0.49 computes the code flow's at_hash with SHA-256 for
		// every algorithm but RSxxx/ESxxx 384/512, while relying parties
		// expect SHA-512 for EdDSA: ID tokens would fail at_hash checks.
		k.check(false, "keys.algorithm: EdDSA is not supported yet (its at_hash would be wrong); use RS256 or ES256")
	default:
		k.check(false, "keys.algorithm: %q is not RS256 or ES256", c.Keys.Algorithm)
	}
	switch c.Keys.RSABits {
	case 2048, 3072, 4096:
	default:
		k.check(false, "keys.rsa_bits: %d is not 2048, 3072 or 4096", c.Keys.RSABits)
	}
	k.check(c.Keys.PublishAhead.D() >= 0, "keys.publish_ahead: must not be negative")
	k.check(c.Keys.PublishAhead.D() == 0 || c.Keys.PublishAhead.D() >= c.Keys.RefreshInterval.D(),
		"keys.publish_ahead: %s is shorter than keys.refresh_interval (%s): other nodes would sign with a key before they publish it (use 0 to sign at once)",
		c.Keys.PublishAhead.D(), c.Keys.RefreshInterval.D())
	k.check(c.Keys.RefreshInterval.D() >= time.Second, "keys.refresh_interval: %s is shorter than 1s", c.Keys.RefreshInterval.D())
}
