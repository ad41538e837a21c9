package server

import (
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// grantRoutes are the routes of the modern grants that are on.
func (e endpoints) grantRoutes() []route {
	post := []string{http.MethodPost}
	var rs []route
	if e.par != nil && e.par.Provider.Grants().PAR {
		rs = append(rs, route{methods: post, path: oauth.PathPAR, handler: e.par.ServeHTTP, guard: client})
	}
	if e.deviceAuth != nil && e.deviceAuth.Provider.Grants().Device {
		rs = append(rs, route{methods: post, path: oauth.PathDeviceAuthorization, handler: e.deviceAuth.ServeHTTP, guard: client})
	}
	if d := e.pages.Device; d != nil {
		rs = append(rs,
			// The device verification page (web.Device).
			route{methods: []string{http.MethodGet, http.MethodHead}, path: signin.PathDevice, handler: d.DeviceForm},
			route{methods: post, path: signin.PathDevice, handler: d.Device, guard: form},
		)
	}
	return rs
}

// deviceApprover is what the /device page decides device codes with;
// nil when the device grant is off.
func deviceApprover(cfg Config, p *oauth.Provider, store storage.Store, policy oauth.SecondFactorPolicy) signin.DeviceApprover {
	if !cfg.Device.Enabled {
		return nil
	}
	return &oauth.DeviceApprovals{Provider: p, Store: store, Now: time.Now, SecondFactors: policy}
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
