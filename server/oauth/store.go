package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	fositestorage "github.com/ory/fosite/storage"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/groupcommit"
)

// Store is the one adapter between fosite's storage interfaces and
// storage.Store. Every fosite request is serialised once, by kind and
// hashed signature; fosite's types go no further than this file.
type Store struct {
	db           storage.Store
	accounts     *accounts.Service
	codeLifespan time.Duration
	now          func() time.Time
	// refreshGrace is lifetimes.refresh_reuse_grace: how long after its
	// first use a refresh token may be used again (0: never).
	refreshGrace time.Duration
	// parLifespan is par.lifetime: how long a request_uri lives.
	parLifespan time.Duration
	// group, when set, writes token sessions created outside a
	// transaction (client credentials, authorization codes) in shared
	// commits (UseGroupCommit).
	group *groupcommit.Committer
	// resources are the configured RFC 8707 resources.
	resources []Resource
	// documents resolves metadata document client IDs; nil when off.
	documents *MetadataDocuments
}

// UseGroupCommit makes s write the token sessions it creates outside a
// transaction through g, so that many requests share one commit; each
// still waits until its own session is stored. Call it before serving.
func (s *Store) UseGroupCommit(g *groupcommit.Committer) { s.group = g }

// deferWrites returns ctx under which the token sessions and audit events
// a request writes outside a transaction are queued without waiting for
// each, so that they share one commit, and the request's writes: announce
// them (Expect) and wait until all are stored (Wait, on every path).
// Without a group committer both do nothing.
func (s *Store) deferWrites(ctx context.Context) (context.Context, *requestWrites) {
	rw := &requestWrites{deferredWrites: noDeferral{}}
	if s.group != nil {
		ctx, rw.deferredWrites = s.group.Defer(ctx)
	}
	return context.WithValue(ctx, requestWritesKey{}, rw), rw
}

// requestWrites are a token request's deferred writes: Expect announces
// them and Wait waits until all are stored (groupcommit.Pending).
type requestWrites struct {
	deferredWrites
	// sessions is set when a token session is among them: if they
	// fail, that token must not go out. Otherwise they are audit events
	// only, whose failure never fails a request.
	sessions atomic.Bool
}

// deferredWrites is groupcommit.Pending, or noDeferral without a group
// committer.
type deferredWrites interface {
	Expect()
	Wait(ctx context.Context) error
}

type requestWritesKey struct{}

type noDeferral struct{}

func (noDeferral) Expect()                    {}
func (noDeferral) Wait(context.Context) error { return nil }

var (
	_ fosite.ClientManager                                = (*Store)(nil)
	_ oauth2.CoreStorage                                  = (*Store)(nil)
	_ oauth2.TokenRevocationStorage                       = (*Store)(nil)
	_ oauth2.ResourceOwnerPasswordCredentialsGrantStorage = (*Store)(nil)
	_ openid.OpenIDConnectRequestStorage                  = (*Store)(nil)
	_ pkce.PKCERequestStorage                             = (*Store)(nil)
	_ fositestorage.Transactional                         = (*Store)(nil)
)

// NewStore returns the fosite storage adapter.
func NewStore(db storage.Store, acc *accounts.Service, codeLifespan time.Duration) *Store {
	return &Store{db: db, accounts: acc, codeLifespan: codeLifespan, now: time.Now}
}

// secretParams are never persisted, whatever fosite's sanitiser keeps.
var secretParams = []string{
	"password", "client_secret", "client_assertion", "code", "code_verifier",
	"refresh_token", "access_token", "token", "assertion",
}

// storedRequest is the serialised form of a fosite request.
type storedRequest struct {
	ID                string          `json:"id"`
	RequestedAt       time.Time       `json:"requested_at"`
	ClientID          string          `json:"client_id"`
	RequestedScope    []string        `json:"requested_scope"`
	GrantedScope      []string        `json:"granted_scope"`
	RequestedAudience []string        `json:"requested_audience"`
	GrantedAudience   []string        `json:"granted_audience"`
	Form              string          `json:"form"`
	Session           json.RawMessage `json:"session"`
}

// GetClient implements fosite.ClientManager. A client ID that is a
// metadata document URL is resolved through the document (when client
// metadata documents are on); a document client is unknown otherwise.
func (s *Store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	var c storage.Client
	var err error
	if s.documents != nil && clients.IsDocumentID(id) {
		c, err = s.documents.Client(ctx, id)
		if errors.Is(err, errDocument) {
			return nil, fmt.Errorf("%w: %w", fosite.ErrNotFound, err)
		}
	} else {
		c, err = s.db.GetClient(ctx, id)
		if err == nil && c.Origin == storage.ClientOriginMetadataDocument {
			err = storage.ErrNotFound // client_metadata_documents was turned off
		}
	}
	if errors.Is(err, storage.ErrNotFound) || (err == nil && c.Disabled) {
		// A disabled client (its entry left the configuration file) is
		// refused as an unknown one, and so are its stored tokens.
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: get client: %w", storageFailure(err))
	}
	return toFositeClient(c, s.resources), nil
}

// ClientAssertionJWTValid implements fosite.ClientManager. The check is
// left to SetClientAssertionJWT, which records the jti atomically and
// fails for a known one; checking here too would race between the calls.
func (s *Store) ClientAssertionJWTValid(context.Context, string) error { return nil }

// SetClientAssertionJWT implements fosite.ClientManager.
func (s *Store) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	err := s.db.UseJTI(ctx, secret.SHA256Hex(jti), exp, s.now())
	if errors.Is(err, storage.ErrAlreadyExists) {
		return fosite.ErrJTIKnown
	}
	return storageFailure(err)
}

// create serialises req and stores it as a session of kind under key.
func (s *Store) create(ctx context.Context, kind storage.TokenKind, key, accessKey string, req fosite.Requester) error {
	form := url.Values{}
	for k, v := range req.GetRequestForm() {
		form[k] = v
	}
	for _, k := range secretParams {
		form.Del(k)
	}
	data, err := marshalStored(req, form.Encode())
	if err != nil {
		return err
	}
	var subject string
	if req.GetSession() != nil {
		subject = req.GetSession().GetSubject()
	}
	row := storage.TokenSession{
		Kind:            kind,
		Signature:       storedTokenKey(kind, key),
		RequestID:       req.GetID(),
		ClientID:        req.GetClient().GetID(),
		Subject:         subject,
		Active:          true,
		RequestedAt:     req.GetRequestedAt().UTC(),
		ExpiresAt:       s.expiresAt(kind, req),
		AccessSignature: accessKey,
		Data:            data,
	}
	if s.group != nil {
		if rw, ok := ctx.Value(requestWritesKey{}).(*requestWrites); ok && !storage.InTransaction(ctx) {
			rw.sessions.Store(true) // deferred: see requestWrites
		}
		return mapErr(s.group.Do(ctx, func(ctx context.Context) error { return s.db.CreateTokenSession(ctx, row) }))
	}
	return mapErr(s.db.CreateTokenSession(ctx, row))
}

// expiresAt is when the row may be garbage-collected.
func (s *Store) expiresAt(kind storage.TokenKind, req fosite.Requester) time.Time {
	var exp time.Time
	if sess := req.GetSession(); sess != nil {
		switch kind {
		case storage.KindAccessToken:
			exp = sess.GetExpiresAt(fosite.AccessToken)
		case storage.KindRefreshToken:
			exp = sess.GetExpiresAt(fosite.RefreshToken)
		default:
			exp = sess.GetExpiresAt(fosite.AuthorizeCode)
		}
	}
	if exp.IsZero() {
		// Refresh tokens that never expire, or a missing expiry: keep the
		// row long enough; the janitor must not delete live grants.
		if kind == storage.KindRefreshToken {
			return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		exp = req.GetRequestedAt().Add(s.codeLifespan)
	}
	return exp.UTC()
}

// get loads the session of kind under key into session (which may be nil,
// as during revocation). An inactive row is returned with inactiveErr.
func (s *Store) get(ctx context.Context, kind storage.TokenKind, key string, session fosite.Session, inactiveErr error) (fosite.Requester, error) {
	row, err := s.db.GetTokenSession(ctx, kind, storedTokenKey(kind, key))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, mapErr(err)
	}
	req, err := s.toRequest(ctx, row.Data, session)
	if err != nil {
		return nil, err
	}
	applyCheckedUser(ctx, req)
	if kind == storage.KindAuthorizeCode {
		applyNarrowAudience(ctx, req)
	}
	if !row.Active && !s.inGrace(kind, row) {
		return req, inactiveErr
	}
	return req, nil
}

// inGrace reports whether row is a refresh token used for the first time
// less than the reuse grace ago: it is still accepted (see RotateRefreshToken).
func (s *Store) inGrace(kind storage.TokenKind, row storage.TokenSession) bool {
	return kind == storage.KindRefreshToken && s.refreshGrace > 0 && !row.FirstUsedAt.IsZero() &&
		s.now().Before(row.FirstUsedAt.Add(s.refreshGrace))
}

func (s *Store) toRequest(ctx context.Context, data []byte, session fosite.Session) (*fosite.Request, error) {
	var sr storedRequest
	if err := json.Unmarshal(data, &sr); err != nil {
		return nil, fmt.Errorf("oauth: unmarshal request: %w", err)
	}
	if session != nil {
		if err := json.Unmarshal(sr.Session, session); err != nil {
			return nil, fmt.Errorf("oauth: unmarshal session: %w", err)
		}
		fillEmpty(session)
	}
	// A token's client is looked up without fetching its metadata
	// document: the token was issued to what was checked then.
	client, err := s.GetClient(withoutFetching(ctx), sr.ClientID)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(sr.Form)
	if err != nil {
		return nil, fmt.Errorf("oauth: parse stored form: %w", err)
	}
	return &fosite.Request{
		ID:                sr.ID,
		RequestedAt:       sr.RequestedAt,
		Client:            client,
		RequestedScope:    sr.RequestedScope,
		GrantedScope:      sr.GrantedScope,
		RequestedAudience: sr.RequestedAudience,
		GrantedAudience:   sr.GrantedAudience,
		Form:              form,
		Session:           session,
	}, nil
}

// mapErr turns storage errors into the errors fosite understands.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return fosite.ErrNotFound
	case errors.Is(err, storage.ErrConflict):
		return fosite.ErrSerializationFailure
	}
	return storageFailure(err)
}
