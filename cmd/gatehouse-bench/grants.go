package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/signin"
)

// The scenarios of the modern grants (device, DPoP, token exchange).

// setupDevice gives each worker a browser signed in once; each op is a
// whole device flow: the device asks for a code, the person allows it on
// the /device page, the device's poll gets the tokens.
func setupDevice(ctx context.Context, a *api, n int) ([]op, error) {
	ops := make([]op, n)
	for i := range ops {
		browser, err := a.signedInBrowser(ctx)
		if err != nil {
			return nil, fmt.Errorf("device setup: %w", err)
		}
		ops[i] = func(ctx context.Context) (int, error) { return a.deviceFlow(ctx, browser) }
	}
	return ops, nil
}

// signedInBrowser signs the bench user in on the login page.
func (a *api) signedInBrowser(ctx context.Context) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	browser := &http.Client{Transport: a.client.Transport, Jar: jar}
	resp, body, err := browse(ctx, browser, http.MethodGet, a.t.URL+"/login", nil)
	if err != nil {
		return nil, err
	}
	form, ok := servertest.HiddenFields(body, "/login")
	if !ok || !servertest.OnPage(resp, "/login") {
		return nil, fmt.Errorf("no login form")
	}
	form.Set("email", a.t.Username)
	form.Set("password", a.t.Password)
	if _, _, err := browse(ctx, browser, http.MethodPost, a.t.URL+"/login", form); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	return browser, nil
}

// deviceFlow runs one device authorization to its tokens.
func (a *api) deviceFlow(ctx context.Context, browser *http.Client) (int, error) {
	status, body, err := a.post(ctx, a.t.URL+oauth.PathDeviceAuthorization, url.Values{"scope": {"openid"}})
	if err != nil {
		return status, err
	}
	var da struct {
		DeviceCode string `json:"device_code"`
		Complete   string `json:"verification_uri_complete"`
	}
	if err := json.Unmarshal(body, &da); err != nil || da.DeviceCode == "" {
		return status, fmt.Errorf("device authorization: bad answer")
	}
	_, page, err := browse(ctx, browser, http.MethodGet, da.Complete, nil)
	if err != nil {
		return statusOf(err, 0), fmt.Errorf("/device: %w", err)
	}
	form, ok := servertest.HiddenFields(page, signin.PathDevice)
	if !ok {
		return http.StatusOK, fmt.Errorf("/device: no confirmation form")
	}
	form.Set("decision", "allow")
	if _, _, err := browse(ctx, browser, http.MethodPost, a.t.URL+signin.PathDevice, form); err != nil {
		return statusOf(err, 0), fmt.Errorf("/device allow: %w", err)
	}
	status, _, err = a.token(ctx, url.Values{"grant_type": {clients.GrantDeviceCode}, "device_code": {da.DeviceCode}})
	return status, err
}

// setupDPoP gives each worker its own ES256 key; each op is a
// client-credentials request with a fresh proof.
func setupDPoP(_ context.Context, a *api, n int) ([]op, error) {
	ops := make([]op, n)
	for i := range ops {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv},
			(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
		if err != nil {
			return nil, err
		}
		ops[i] = func(ctx context.Context) (int, error) { return a.dpopClientCredentials(ctx, signer) }
	}
	return ops, nil
}

// dpopClientCredentials sends one DPoP-bound client-credentials request.
func (a *api) dpopClientCredentials(ctx context.Context, signer jose.Signer) (int, error) {
	claims, _ := json.Marshal(map[string]any{"jti": randomHex(), "htm": http.MethodPost,
		"htu": a.t.URL + oauth.PathToken, "iat": time.Now().Unix()})
	jws, err := signer.Sign(claims)
	if err != nil {
		return 0, err
	}
	proof, err := jws.CompactSerialize()
	if err != nil {
		return 0, err
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.t.URL+oauth.PathToken, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", proof)
	req.SetBasicAuth(url.QueryEscape(a.t.ClientID), url.QueryEscape(a.t.ClientSecret))
	status, body, err := a.do(req, http.StatusOK)
	if err == nil && !strings.Contains(string(body), `"token_type":"DPoP"`) {
		err = fmt.Errorf("dpop: token not DPoP-bound")
	}
	return status, err
}

// setupExchange exchanges one user access token, issued to the bench
// client, for narrower ones.
func setupExchange(ctx context.Context, a *api, n int) ([]op, error) {
	_, tr, err := a.password(ctx, "openid api:read")
	if err != nil {
		return nil, fmt.Errorf("token exchange setup: %w", err)
	}
	return same(func(a *api) op {
		return wrapToken(func(ctx context.Context) (int, tokenResponse, error) {
			return a.token(ctx, url.Values{"grant_type": {clients.GrantTokenExchange}, "subject_token": {tr.AccessToken},
				"subject_token_type": {oauth.TokenTypeAccessToken}, "scope": {"api:read"}})
		})
	})(ctx, a, n)
}
