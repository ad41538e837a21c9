package server

import (
	"net/http"

	"github.com/gatehouse-id/gatehouse/server/oauth"
)

// grantRoutes are the routes of the modern grants that are on.
func (e endpoints) grantRoutes() []route {
	post := []string{http.MethodPost}
	var rs []route
	if e.par != nil && e.par.Provider.Grants().PAR {
		rs = append(rs, route{methods: post, path: oauth.PathPAR, handler: e.par.ServeHTTP, guard: client})
	}
	return rs
}

// GrantOptions are the provider's grant options for cfg.
func GrantOptions(cfg Config) oauth.GrantOptions {
	return oauth.GrantOptions{
		PAR:                cfg.PAR.Enabled,
		RequirePAR:         cfg.PAR.RequirePushedAuthorizationRequests,
		PARLifetime:        cfg.PAR.Lifetime.D(),
		Device:             cfg.Device.Enabled,
		DeviceCodeLifetime: cfg.Device.CodeLifetime.D(),
		DeviceInterval:     cfg.Device.Interval.D(),
		DPoP:               cfg.DPoP.Enabled,
		DPoPAlgorithms:     cfg.DPoP.Algorithms,
		DPoPMaxAge:         cfg.DPoP.ProofMaxAge.D(),
		DPoPNonce:          cfg.DPoP.RequireNonce,
		TokenExchange:      cfg.TokenExchange.Enabled,
	}
}
