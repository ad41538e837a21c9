package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// The polling answers of RFC 8628 section 3.5 (each 400, as RFC 6749
// section 5.2 errors are).
var (
	errAuthorizationPending = &fosite.RFC6749Error{ErrorField: "authorization_pending", CodeField: http.StatusBadRequest,
		DescriptionField: "The authorization request is still pending: the person has not yet approved it."}
	errSlowDown = &fosite.RFC6749Error{ErrorField: "slow_down", CodeField: http.StatusBadRequest,
		DescriptionField: "The device polls too often: the interval is now 5 seconds longer."}
	errExpiredToken = &fosite.RFC6749Error{ErrorField: "expired_token", CodeField: http.StatusBadRequest,
		DescriptionField: "The device code has expired: start a new device authorization."}
	errDeviceDenied = &fosite.RFC6749Error{ErrorField: "access_denied", CodeField: http.StatusBadRequest,
		DescriptionField: "The person denied the authorization request."}
)

// errNoWrite ends an UpdateDeviceCode without writing anything.
var errNoWrite = errors.New("oauth: nothing to write")

// deviceGrantHandler is the token endpoint's device_code grant (RFC 8628
// section 3.4), a fosite TokenEndpointHandler. Each poll is one atomic
// update of the device code's row, so the interval raised by slow_down,
// the last poll and the single use hold across every node.
type deviceGrantHandler struct {
	issuer
	db  storage.Store
	now func() time.Time
}

var _ fosite.TokenEndpointHandler = (*deviceGrantHandler)(nil)

// HandleTokenEndpointRequest implements fosite.TokenEndpointHandler: it
// answers a poll (authorization_pending, slow_down, expired_token,
// access_denied) or, for an approved code, uses the code up and fills the
// request with the approval.
func (h *deviceGrantHandler) HandleTokenEndpointRequest(ctx context.Context, ar fosite.AccessRequester) error {
	if !h.CanHandleTokenEndpointRequest(ctx, ar) {
		return fosite.ErrUnknownRequest
	}
	if requiresDPoP(ar.GetClient()) && proofJKT(ctx) == "" {
		// Refused before the poll, which would use an approved code up.
		return errDPoPRequired
	}
	client := ar.GetClient()
	if !client.GetGrantTypes().Has(clients.GrantDeviceCode) {
		return fosite.ErrUnauthorizedClient.WithHint("The client is not allowed to use the device_code grant.")
	}
	code := ar.GetRequestForm().Get("device_code")
	if code == "" {
		return fosite.ErrInvalidRequest.WithHint("The device_code parameter is missing.")
	}
	row, err := h.poll(ctx, secret.SHA256Hex(code), client.GetID())
	if err != nil {
		return err
	}
	var req deviceRequest
	if err := json.Unmarshal(row.Data, &req); err != nil {
		return fosite.ErrServerError.WithWrap(fmt.Errorf("oauth: device request: %w", err))
	}
	sess, ok := ar.GetSession().(*Session)
	if !ok {
		return fosite.ErrServerError.WithDebugf("unexpected session type %T", ar.GetSession())
	}
	sess.ClientID, sess.Subject, sess.User = client.GetID(), row.Subject, true
	sess.Claims.Subject = row.Subject
	sess.Claims.AuthTime = req.AuthTime.Truncate(time.Second)
	sess.Claims.AuthenticationMethodsReferences = req.AMR
	sess.Claims.AuthenticationContextClassReference = req.ACR
	sess.Claims.RequestedAt = req.RequestedAt.Truncate(time.Second)
	ar.SetRequestedScopes(req.RequestedScope)
	ar.SetRequestedAudience(req.RequestedAudience)
	for _, s := range req.GrantedScope {
		ar.GrantScope(s)
	}
	grantAudience(ar)
	h.setExpiry(ctx, ar, fosite.GrantType(clients.GrantDeviceCode))
	return nil
}

// poll records one poll of the device code (hashed) by clientID and
// returns its row when it was approved, now used up; otherwise the
// polling answer.
func (h *deviceGrantHandler) poll(ctx context.Context, code, clientID string) (storage.DeviceCode, error) {
	var row storage.DeviceCode
	var answer error
	err := h.db.UpdateDeviceCode(ctx, code, func(d *storage.DeviceCode) error {
		now := h.now().UTC()
		switch {
		case d.ClientID != clientID, d.Status == storage.DeviceUsed:
			answer = fosite.ErrInvalidGrant.WithHint("The device code is unknown, was issued to another client or was used.")
			return errNoWrite
		case !now.Before(d.ExpiresAt):
			answer = errExpiredToken
			return errNoWrite
		case !d.LastPolledAt.IsZero() && now.Sub(d.LastPolledAt) < d.Interval:
			d.Interval += slowDownStep
			d.LastPolledAt = now
			answer = errSlowDown
			return nil
		}
		d.LastPolledAt = now
		switch d.Status {
		case storage.DevicePending:
			answer = errAuthorizationPending
		case storage.DeviceDenied:
			answer = errDeviceDenied
		case storage.DeviceApproved:
			d.Status = storage.DeviceUsed
		}
		row = *d
		return nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return row, fosite.ErrInvalidGrant.WithHint("The device code is unknown, was issued to another client or was used.")
	case err != nil && !errors.Is(err, errNoWrite):
		return row, fosite.ErrServerError.WithWrap(storageFailure(err))
	}
	if answer != nil {
		return row, answer
	}
	return row, nil
}

// PopulateTokenEndpointResponse implements fosite.TokenEndpointHandler.
func (h *deviceGrantHandler) PopulateTokenEndpointResponse(ctx context.Context, ar fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !h.CanHandleTokenEndpointRequest(ctx, ar) {
		return fosite.ErrUnknownRequest
	}
	return h.issue(ctx, ar, resp, true)
}

// CanSkipClientAuth implements fosite.TokenEndpointHandler.
func (h *deviceGrantHandler) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool {
	return false
}

// CanHandleTokenEndpointRequest implements fosite.TokenEndpointHandler.
func (h *deviceGrantHandler) CanHandleTokenEndpointRequest(_ context.Context, ar fosite.AccessRequester) bool {
	return ar.GetGrantTypes().ExactOne(clients.GrantDeviceCode)
}
