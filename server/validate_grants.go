package server

import (
	"slices"
	"strings"
	"time"
)

// validateGrants checks the device, par, dpop and token_exchange sections.
func validateGrants(c *Config, k *checker) {
	d := c.Device
	k.check(d.CodeLifetime.D() >= time.Minute && d.CodeLifetime.D() <= time.Hour,
		"device.code_lifetime: %s is not between 1m and 1h", d.CodeLifetime.D())
	k.check(d.Interval.D() >= time.Second && d.Interval.D() <= time.Minute && d.Interval.D()%time.Second == 0,
		"device.interval: %s is not whole seconds between 1s and 1m", d.Interval.D())
	p := c.PAR
	k.check(p.Lifetime.D() >= 10*time.Second && p.Lifetime.D() <= 10*time.Minute,
		"par.lifetime: %s is not between 10s and 10m", p.Lifetime.D())
	k.check(p.Enabled || !p.RequirePushedAuthorizationRequests,
		"par.require_pushed_authorization_requests: needs par.enabled")
	dp := c.DPoP
	if dp.Enabled {
		k.check(len(dp.Algorithms) > 0, "dpop.algorithms: list at least one of %s", strings.Join(DPoPAlgorithms, ", "))
	}
	for _, a := range dp.Algorithms {
		k.check(slices.Contains(DPoPAlgorithms, a), "dpop.algorithms: %q is not one of %s", a, strings.Join(DPoPAlgorithms, ", "))
	}
	k.check(dp.ProofMaxAge.D() >= 5*time.Second && dp.ProofMaxAge.D() <= 10*time.Minute,
		"dpop.proof_max_age: %s is not between 5s and 10m", dp.ProofMaxAge.D())
}
