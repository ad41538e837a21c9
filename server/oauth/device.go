package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// PathDeviceAuthorization is the device authorization endpoint (RFC 8628
// section 3.1).
const PathDeviceAuthorization = "/oauth2/device/auth"

// slowDownStep is what each slow_down adds to a device code's interval
// (RFC 8628 section 3.5).
const slowDownStep = 5 * time.Second

// deviceRequest is what a device code's row holds besides its state.
type deviceRequest struct {
	RequestedAt       time.Time `json:"requested_at"`
	RequestedScope    []string  `json:"requested_scope"`
	RequestedAudience []string  `json:"requested_audience"`
	// Set on approval: the scopes granted and when the person signed in.
	GrantedScope []string  `json:"granted_scope,omitempty"`
	AuthTime     time.Time `json:"auth_time,omitempty"`
	// AMR and ACR are the approving session's (for the ID token).
	AMR []string `json:"amr,omitempty"`
	ACR string   `json:"acr,omitempty"`
}

// DeviceAuthorization is the device authorization endpoint (POST
// /oauth2/device/auth). A client registered for the device_code grant,
// public or confidential, authenticates as at the token endpoint and gets
// a device code to poll with and a user code for the person to enter at
// the verification URI.
type DeviceAuthorization struct {
	Provider *Provider
	Store    storage.Store
	Logger   *slog.Logger
	Now      func() time.Time
}

// ServeHTTP handles one device authorization request.
func (d *DeviceAuthorization) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar := fosite.NewAccessRequest(NewSession())
	if err := r.ParseForm(); err != nil {
		d.writeError(ctx, w, r, ar, fosite.ErrInvalidRequest.WithHint("The request body is not a valid form."))
		return
	}
	if err := checkSingleValues(r.PostForm); err != nil {
		d.writeError(ctx, w, r, ar, err)
		return
	}
	if err := checkClientAuth(r); err != nil {
		d.writeError(ctx, w, r, ar, err)
		return
	}
	client, err := d.Provider.authenticateClient(ctx, r, r.PostForm)
	if err != nil {
		d.writeError(ctx, w, r, ar, err)
		return
	}
	ar.Client = client
	req, err := d.checkRequest(ctx, client, r.PostForm)
	if err != nil {
		d.writeError(ctx, w, r, ar, err)
		return
	}
	deviceCode, userCode, err := d.create(ctx, client.GetID(), req)
	if err != nil {
		d.writeError(ctx, w, r, ar, err)
		return
	}
	g := d.Provider.grants
	verify := d.Provider.issuer + signin.PathDevice
	body, _ := json.Marshal(map[string]any{
		"device_code":               deviceCode,
		"user_code":                 formatUserCode(userCode),
		"verification_uri":          verify,
		"verification_uri_complete": verify + "?" + url.Values{"user_code": {formatUserCode(userCode)}}.Encode(),
		"expires_in":                int(g.DeviceCodeLifetime.Seconds()),
		"interval":                  int(g.DeviceInterval.Seconds()),
	})
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	_, _ = w.Write(body)
}

// checkRequest checks the client's grant, scopes and audience.
func (d *DeviceAuthorization) checkRequest(ctx context.Context, client fosite.Client, form url.Values) (deviceRequest, error) {
	if !client.GetGrantTypes().Has(clients.GrantDeviceCode) {
		return deviceRequest{}, fosite.ErrUnauthorizedClient.WithHint("The client is not allowed to use the device_code grant.")
	}
	scopes := fosite.RemoveEmpty(strings.Split(form.Get("scope"), " "))
	for _, s := range scopes {
		if !d.Provider.config.GetScopeStrategy(ctx)(client.GetScopes(), s) {
			return deviceRequest{}, fosite.ErrInvalidScope.WithHintf("The client is not allowed to request scope %q.", s)
		}
	}
	audience, err := requestedTargets(form, fosite.GetAudiences(form))
	if err != nil {
		return deviceRequest{}, err
	}
	if err := d.Provider.config.GetAudienceStrategy(ctx)(client.GetAudience(), audience); err != nil {
		return deviceRequest{}, err
	}
	if err := d.Provider.checkResources(client, audience, scopes); err != nil {
		return deviceRequest{}, err
	}
	return deviceRequest{RequestedAt: d.Now().UTC(), RequestedScope: scopes, RequestedAudience: audience}, nil
}

// create stores a new device authorization and returns its device code
// and user code (unformatted). A user code taken by a live request is
// drawn again.
func (d *DeviceAuthorization) create(ctx context.Context, clientID string, req deviceRequest) (string, string, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return "", "", fosite.ErrServerError.WithWrap(err)
	}
	g := d.Provider.grants
	now := d.Now().UTC()
	for range 5 {
		deviceCode, userCode := secret.Token(32), newUserCode()
		err = d.Store.CreateDeviceCode(ctx, storage.DeviceCode{
			DeviceCode: secret.SHA256Hex(deviceCode),
			UserCode:   hashUserCode(d.Provider.userCodeKey, userCode),
			ClientID:   clientID,
			Status:     storage.DevicePending,
			Interval:   g.DeviceInterval,
			CreatedAt:  now,
			ExpiresAt:  now.Add(g.DeviceCodeLifetime),
			Data:       data,
		})
		if err == nil {
			return deviceCode, userCode, nil
		}
		if !errors.Is(err, storage.ErrAlreadyExists) {
			return "", "", fmt.Errorf("oauth: store device code: %w", storageFailure(err))
		}
	}
	return "", "", fosite.ErrServerError.WithHint("No free user code was found.")
}

func (d *DeviceAuthorization) writeError(ctx context.Context, w http.ResponseWriter, r *http.Request, ar fosite.AccessRequester, err error) {
	logError(ctx, d.Logger, "device authorization", err)
	challengeClient(w, r, err)
	d.Provider.WriteAccessError(ctx, w, ar, err)
}
