package clients

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// checkBackchannel validates the back-channel logout settings: the URI is
// an absolute http or https URL without a fragment or user information
// (Back-Channel Logout 1.0 section 2.2). Whether its host may be reached
// (not a private or loopback address unless allowed) is decided when a
// logout token is sent, after DNS resolution.
func (s *Spec) checkBackchannel() error {
	s.BackchannelLogoutURI = strings.TrimSpace(s.BackchannelLogoutURI)
	raw := s.BackchannelLogoutURI
	if raw == "" {
		if s.BackchannelLogoutSessionRequired {
			return errors.New("backchannel_logout_session_required needs a backchannel logout URI")
		}
		return nil
	}
	if err := validBackchannelURI(raw); err != nil {
		return fmt.Errorf("backchannel logout URI %q: %w", raw, err)
	}
	return nil
}

func validBackchannelURI(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		return errors.New("must be an absolute URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return errors.New("must be an http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("must have a host")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errors.New("must not contain a fragment")
	case u.User != nil:
		return errors.New("must not contain user information (user@host)")
	}
	return CheckRedirectURIShape(raw)
}
