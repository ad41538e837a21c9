package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// DeviceApprovals decides device authorizations for the /device page
// (signin.DeviceApprover).
type DeviceApprovals struct {
	Provider *Provider
	Store    storage.Store
	Now      func() time.Time
	// SecondFactors is the authorization endpoint's second-factor rule,
	// which approving a device follows too.
	SecondFactors SecondFactorPolicy
}

var _ signin.DeviceApprover = (*DeviceApprovals)(nil)

// errDecided stops an approval whose code was decided meanwhile.
var errDecided = errors.New("oauth: device code no longer pending")

// Lookup implements signin.DeviceApprover.
func (a *DeviceApprovals) Lookup(ctx context.Context, typed string) (signin.DeviceRequest, error) {
	row, req, err := a.pending(ctx, typed)
	if err != nil {
		return signin.DeviceRequest{}, err
	}
	return signin.DeviceRequest{ClientID: row.ClientID, Scopes: req.RequestedScope, UserCode: formatUserCode(normalizeUserCode(typed))}, nil
}

// Decide implements signin.DeviceApprover. Approving grants the requested
// scopes (offline_access only to a client that may refresh); the admin
// scope only to a person with the admin role.
func (a *DeviceApprovals) Decide(ctx context.Context, typed string, user storage.User, sess storage.BrowserSession, allow bool) (signin.DeviceRequest, error) {
	row, req, err := a.pending(ctx, typed)
	if err != nil {
		return signin.DeviceRequest{}, err
	}
	out := signin.DeviceRequest{ClientID: row.ClientID, Scopes: req.RequestedScope, UserCode: formatUserCode(normalizeUserCode(typed))}
	if allow && adminScopeRefused(req.RequestedScope, &user) {
		return out, signin.ErrDeviceScopeRefused
	}
	client, err := a.Provider.store.GetClient(ctx, row.ClientID)
	if err != nil {
		return out, fmt.Errorf("oauth: device approval: %w", err)
	}
	if allow {
		to, err := a.stepUp(ctx, out.UserCode, user, sess, client)
		if err != nil {
			return out, fmt.Errorf("oauth: device approval: %w", err)
		}
		if to != "" {
			return out, &signin.StepUpError{To: to}
		}
	}
	authTime := sess.AuthTime
	err = a.Store.UpdateDeviceCode(ctx, row.DeviceCode, func(d *storage.DeviceCode) error {
		if d.Status != storage.DevicePending || !a.Now().Before(d.ExpiresAt) {
			return errDecided
		}
		d.Subject, d.Status = user.ID, storage.DeviceDenied
		if !allow {
			return nil
		}
		d.Status = storage.DeviceApproved
		granted := make([]string, 0, len(req.RequestedScope))
		for _, s := range req.RequestedScope {
			if grantable(client, s) {
				granted = append(granted, s)
			}
		}
		req.GrantedScope, req.AuthTime = granted, authTime.UTC()
		req.AMR, req.ACR = sessionAMR(sess), sessionACR(sess)
		data, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("oauth: device approval: %w", err)
		}
		d.Data = data
		return nil
	})
	if errors.Is(err, errDecided) || errors.Is(err, storage.ErrNotFound) {
		return out, signin.ErrUnknownUserCode
	}
	if err != nil {
		return out, fmt.Errorf("oauth: device approval: %w", err)
	}
	return out, nil
}

// StepUp implements signin.DeviceApprover.
func (a *DeviceApprovals) StepUp(ctx context.Context, typed string, user storage.User, sess storage.BrowserSession) (string, error) {
	row, _, err := a.pending(ctx, typed)
	if err != nil {
		return "", err
	}
	client, err := a.Provider.store.GetClient(ctx, row.ClientID)
	if err != nil {
		return "", fmt.Errorf("oauth: device approval: %w", err)
	}
	return a.stepUp(ctx, formatUserCode(normalizeUserCode(typed)), user, sess, client)
}

// stepUp applies the authorization endpoint's second-factor rule to
// approving a device for client: a required role or a client registered
// with require_mfa needs a session that used a second factor. It returns
// where to go first (back to the device page afterwards), or "".
func (a *DeviceApprovals) stepUp(ctx context.Context, userCode string, user storage.User, sess storage.BrowserSession, client fosite.Client) (string, error) {
	p := a.SecondFactors
	if p.Factors == nil || !p.forced(user, client) || mfa.Satisfies(sessionACR(sess), mfa.ACRMFA) {
		return "", nil
	}
	best, err := p.Factors.BestACR(ctx, user.ID)
	if err != nil {
		return "", err
	}
	if best == "" {
		return pathSecurity, nil
	}
	back := signin.PathDevice + "?user_code=" + url.QueryEscape(userCode)
	return pathLoginMFA + "?return_to=" + url.QueryEscape(back), nil
}

// pending returns the pending, unexpired request of a typed user code.
func (a *DeviceApprovals) pending(ctx context.Context, typed string) (storage.DeviceCode, deviceRequest, error) {
	code := normalizeUserCode(typed)
	if code == "" {
		return storage.DeviceCode{}, deviceRequest{}, signin.ErrUnknownUserCode
	}
	row, err := a.Store.GetDeviceCodeByUserCode(ctx, hashUserCode(a.Provider.userCodeKey, code))
	if errors.Is(err, storage.ErrNotFound) {
		return row, deviceRequest{}, signin.ErrUnknownUserCode
	}
	if err != nil {
		return row, deviceRequest{}, fmt.Errorf("oauth: device lookup: %w", err)
	}
	if row.Status != storage.DevicePending || !a.Now().Before(row.ExpiresAt) {
		return row, deviceRequest{}, signin.ErrUnknownUserCode
	}
	var req deviceRequest
	if err := json.Unmarshal(row.Data, &req); err != nil {
		return row, req, fmt.Errorf("oauth: device request: %w", err)
	}
	return row, req, nil
}
