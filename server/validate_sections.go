package server

import "fmt"

// checker collects configuration problems. Validate hands it to each
// section's validator in turn, so one run reports every problem at once.
type checker struct {
	errs []error
}

// check records the problem format describes unless ok.
func (k *checker) check(ok bool, format string, args ...any) {
	if !ok {
		k.errs = append(k.errs, fmt.Errorf(format, args...))
	}
}

// sectionValidator checks one section of the configuration. A new section
// adds its own small validate_<section>.go file and a line below.
type sectionValidator func(c *Config, k *checker)

// sectionValidators lists the validators of every section, in the order
// their problems are reported.
func sectionValidators() []sectionValidator {
	return []sectionValidator{
		validateCore,
		validateLifetimes,
		validateKeys,
		validateMail,
		validateBranding,
		validateProviders,
		validateRateLimit,
		validateNetwork,
		validateOperations,
		validateOps,
		validateBackchannel,
		validateClients,
		validateMFA,
		validateAgents,
		validateGrants,
		validateConsole,
	}
}
