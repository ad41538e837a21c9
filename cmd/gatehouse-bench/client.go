package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse/server/oauth"
)

// api sends the protocol requests of the load generator to one server:
// Gatehouse, or with -compare another server at the endpoints it publishes.
type api struct {
	t      *target
	client *http.Client
	ep     endpoints
	// ccScope is the scope of client_credentials requests ("" sends none).
	ccScope string
}

// endpoints are the absolute URLs the scenarios load.
type endpoints struct {
	Token, Introspect, UserInfo, JWKS, Discovery string
}

// gatehouseEndpoints are Gatehouse's endpoints under base.
func gatehouseEndpoints(base string) endpoints {
	return endpoints{Token: base + oauth.PathToken, Introspect: base + oauth.PathIntrospect,
		UserInfo: base + oauth.PathUserInfo, JWKS: base + oauth.PathJWKS, Discovery: base + oauth.PathDiscovery}
}

// tokenResponse is the part of a token response the scenarios use.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// do sends req and reads the body; a status other than want is an error.
func (a *api) do(req *http.Request, want int) (int, []byte, error) {
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if resp.StatusCode != want {
		return resp.StatusCode, body, fmt.Errorf("%s %s: status %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	return resp.StatusCode, body, nil
}

// post sends form to the URL u with the bench client's client_secret_basic.
func (a *api) post(ctx context.Context, u string, form url.Values) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(a.t.ClientID), url.QueryEscape(a.t.ClientSecret))
	return a.do(req, http.StatusOK)
}

// get fetches the URL u, with a bearer token when one is given.
func (a *api) get(ctx context.Context, u, bearer string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return a.do(req, http.StatusOK)
}

// token runs a token request and decodes the answer.
func (a *api) token(ctx context.Context, form url.Values) (int, tokenResponse, error) {
	status, body, err := a.post(ctx, a.ep.Token, form)
	var tr tokenResponse
	if err == nil {
		err = json.Unmarshal(body, &tr)
	}
	if err == nil && tr.AccessToken == "" {
		err = fmt.Errorf("token: no access_token")
	}
	return status, tr, err
}

func (a *api) clientCredentials(ctx context.Context) (int, tokenResponse, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if a.ccScope != "" {
		form.Set("scope", a.ccScope)
	}
	return a.token(ctx, form)
}

func (a *api) password(ctx context.Context, scope string) (int, tokenResponse, error) {
	return a.token(ctx, url.Values{
		"grant_type": {"password"}, "username": {a.t.Username}, "password": {a.t.Password}, "scope": {scope},
	})
}

func (a *api) refresh(ctx context.Context, rt string) (int, tokenResponse, error) {
	status, tr, err := a.token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if err == nil && tr.RefreshToken == "" {
		err = fmt.Errorf("refresh: no refresh_token")
	}
	return status, tr, err
}

func (a *api) introspect(ctx context.Context, token string) (int, error) {
	status, body, err := a.post(ctx, a.ep.Introspect, url.Values{"token": {token}})
	if err == nil && !bytes.Contains(body, []byte(`"active":true`)) {
		// Another server may format its JSON differently.
		var v struct {
			Active bool `json:"active"`
		}
		if json.Unmarshal(body, &v) != nil || !v.Active {
			err = fmt.Errorf("introspect: token not active")
		}
	}
	return status, err
}
