package server

import (
	"log/slog"
	"net"

	"github.com/gatehouse-id/gatehouse/passkeys"
	"github.com/gatehouse-id/gatehouse/storage"
)

// newPasskeys returns the passkey relying party for cfg, or nil when
// passkeys are off (mfa.passkeys: false) or cannot work here: browsers
// refuse an IP address as relying-party id, so an issuer such as the
// development default http://127.0.0.1:8080 has no passkeys unless
// mfa.rp_id names a host (use http://localhost:8080 to try them).
func newPasskeys(cfg Config, store storage.Store, logger *slog.Logger) (*passkeys.Service, error) {
	if !cfg.MFA.Passkeys {
		return nil, nil
	}
	rpID := cfg.RPID()
	if net.ParseIP(rpID) != nil {
		logger.Warn("passkeys are off: the relying-party id is an IP address, which browsers refuse; serve on a host name (e.g. localhost) or set mfa.rp_id",
			"rp_id", rpID)
		return nil, nil
	}
	origin, err := passkeys.OriginOf(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	return passkeys.New(passkeys.Config{
		RPID:        rpID,
		Origins:     []string{origin},
		DisplayName: cfg.Branding.ProductName,
	}, store)
}
