package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

var _ fosite.PARStorage = (*Store)(nil)

// storedPAR is the serialised form of a pushed authorization request:
// what fosite copies from it into the authorization request that
// presents its request_uri.
type storedPAR struct {
	ID                string    `json:"id"`
	RequestedAt       time.Time `json:"requested_at"`
	ClientID          string    `json:"client_id"`
	RequestedScope    []string  `json:"requested_scope"`
	RequestedAudience []string  `json:"requested_audience"`
	Form              string    `json:"form"`
	RedirectURI       string    `json:"redirect_uri"`
	ResponseTypes     []string  `json:"response_types"`
	State             string    `json:"state"`
	ResponseMode      string    `json:"response_mode"`
	DefaultMode       string    `json:"default_response_mode"`
}

// CreatePARSession implements fosite.PARStorage. The request_uri is
// stored hashed, like every token; the row expires with the request.
func (s *Store) CreatePARSession(ctx context.Context, requestURI string, ar fosite.AuthorizeRequester) error {
	form := url.Values{}
	for k, v := range ar.GetRequestForm() {
		form[k] = v
	}
	for _, k := range secretParams {
		form.Del(k)
	}
	var redirect string
	if u := ar.GetRedirectURI(); u != nil {
		redirect = u.String()
	}
	data, err := json.Marshal(storedPAR{
		ID:                ar.GetID(),
		RequestedAt:       ar.GetRequestedAt().UTC(),
		ClientID:          ar.GetClient().GetID(),
		RequestedScope:    ar.GetRequestedScopes(),
		RequestedAudience: ar.GetRequestedAudience(),
		Form:              form.Encode(),
		RedirectURI:       redirect,
		ResponseTypes:     ar.GetResponseTypes(),
		State:             ar.GetState(),
		ResponseMode:      string(ar.GetResponseMode()),
		DefaultMode:       string(ar.GetDefaultResponseMode()),
	})
	if err != nil {
		return fmt.Errorf("oauth: marshal pushed request: %w", err)
	}
	now := s.now().UTC()
	expires := now.Add(s.parLifespan)
	if sess := ar.GetSession(); sess != nil && !sess.GetExpiresAt(fosite.PushedAuthorizeRequestContext).IsZero() {
		expires = sess.GetExpiresAt(fosite.PushedAuthorizeRequestContext).UTC()
	}
	return mapErr(s.db.CreateTokenSession(ctx, storage.TokenSession{
		Kind:        storage.KindPAR,
		Signature:   secret.SHA256Hex(requestURI),
		RequestID:   ar.GetID(),
		ClientID:    ar.GetClient().GetID(),
		Active:      true,
		RequestedAt: now,
		ExpiresAt:   expires,
		Data:        data,
	}))
}

// GetPARSession implements fosite.PARStorage. It uses the request_uri up:
// only one authorization request can ever present it (RFC 9126 section
// 4), also when two arrive at once on different nodes, and never after
// it expired.
func (s *Store) GetPARSession(ctx context.Context, requestURI string) (fosite.AuthorizeRequester, error) {
	sig := secret.SHA256Hex(requestURI)
	row, err := s.db.GetTokenSession(ctx, storage.KindPAR, sig)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!row.Active || !s.now().Before(row.ExpiresAt))) {
		return nil, fosite.ErrNotFound.WithHint("The request_uri is unknown, used or expired.")
	}
	if err != nil {
		return nil, mapErr(err)
	}
	if err := s.db.DeactivateTokenSession(ctx, storage.KindPAR, sig); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fosite.ErrNotFound.WithHint("The request_uri was used.")
		}
		return nil, mapErr(err)
	}
	var sp storedPAR
	if err := json.Unmarshal(row.Data, &sp); err != nil {
		return nil, fmt.Errorf("oauth: unmarshal pushed request: %w", err)
	}
	client, err := s.GetClient(ctx, sp.ClientID)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(sp.Form)
	if err != nil {
		return nil, fmt.Errorf("oauth: parse pushed form: %w", err)
	}
	redirect, err := url.Parse(sp.RedirectURI)
	if err != nil {
		return nil, fmt.Errorf("oauth: parse pushed redirect URI: %w", err)
	}
	ar := fosite.NewAuthorizeRequest()
	ar.ID, ar.RequestedAt, ar.Client, ar.Form = sp.ID, sp.RequestedAt, client, form
	ar.RequestedScope, ar.RequestedAudience = sp.RequestedScope, sp.RequestedAudience
	ar.RedirectURI, ar.ResponseTypes, ar.State = redirect, sp.ResponseTypes, sp.State
	ar.ResponseMode, ar.DefaultResponseMode = fosite.ResponseModeType(sp.ResponseMode), fosite.ResponseModeType(sp.DefaultMode)
	return ar, nil
}

// DeletePARSession implements fosite.PARStorage.
func (s *Store) DeletePARSession(ctx context.Context, requestURI string) error {
	return mapErr(s.db.DeleteTokenSession(ctx, storage.KindPAR, secret.SHA256Hex(requestURI)))
}
