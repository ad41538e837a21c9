package oauth

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/ory/fosite"
)

// A request's ID names its grant's family of token sessions: the code,
// the tokens it was exchanged for and every rotated refresh token share
// it, and revocation finds them by it. fosite draws a random UUIDv4 when
// the ID is first read; Gatehouse names each new grant with a UUIDv7
// instead, ordered by time, so that storage appends a new family to its
// request index rather than writing a random page of it (a page written
// to the WAL and again at the checkpoint, for every token).

// NewAccessRequest is fosite's, with a time-ordered ID for a new grant;
// a code exchange, a refresh and a token exchange keep their family's.
func (p *Provider) NewAccessRequest(ctx context.Context, r *http.Request, s fosite.Session) (fosite.AccessRequester, error) {
	ar, err := p.OAuth2Provider.NewAccessRequest(ctx, r, s)
	if ar, ok := ar.(*fosite.AccessRequest); ok {
		assignRequestID(&ar.Request)
	}
	return ar, err
}

// NewAuthorizeRequest is fosite's, with a time-ordered ID.
func (p *Provider) NewAuthorizeRequest(ctx context.Context, r *http.Request) (fosite.AuthorizeRequester, error) {
	ar, err := p.OAuth2Provider.NewAuthorizeRequest(ctx, r)
	if ar, ok := ar.(*fosite.AuthorizeRequest); ok {
		assignRequestID(&ar.Request)
	}
	return ar, err
}

// NewPushedAuthorizeRequest is fosite's, with a time-ordered ID.
func (p *Provider) NewPushedAuthorizeRequest(ctx context.Context, r *http.Request) (fosite.AuthorizeRequester, error) {
	ar, err := p.OAuth2Provider.NewPushedAuthorizeRequest(ctx, r)
	if ar, ok := ar.(*fosite.AuthorizeRequest); ok {
		assignRequestID(&ar.Request)
	}
	return ar, err
}

// assignRequestID gives r a UUIDv7 unless it already has an ID (one read
// from storage, or one that something has read). Should the system's
// randomness fail, fosite's lazy UUIDv4 remains.
func assignRequestID(r *fosite.Request) {
	if r.ID != "" {
		return
	}
	if id, err := uuid.NewV7(); err == nil {
		r.ID = id.String()
	}
}
