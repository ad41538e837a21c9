package backchannel

import (
	"context"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/storage"
)

// EventLogout is the event a logout token carries (Back-Channel Logout
// 1.0 section 2.4).
const EventLogout = "http://schemas.openid.net/event/backchannel-logout"

// TokenType is the logout token's JWT header typ (section 2.4).
const TokenType = "logout+jwt"

// tokenLifetime bounds how long a logout token is valid: long enough for
// clock skew, short enough that a captured one is soon useless.
const tokenLifetime = 2 * time.Minute

// logoutClaims are the claims of a logout token: never a nonce.
type logoutClaims struct {
	Issuer   string                    `json:"iss"`
	Subject  string                    `json:"sub"`
	Audience string                    `json:"aud"`
	IssuedAt int64                     `json:"iat"`
	Expiry   int64                     `json:"exp"`
	ID       string                    `json:"jti"`
	SID      string                    `json:"sid"`
	Events   map[string]map[string]any `json:"events"`
}

// signToken returns the logout token of d, signed with the server's
// current signing key. Its jti is the delivery's id on the first attempt
// and the id with the attempt's number after it on the next ones: a
// client that refuses a jti it has seen before (section 2.6) still gets a
// retry whose first attempt it processed but whose answer was lost.
func signToken(ctx context.Context, km *keys.Manager, issuer string, d storage.LogoutDelivery, now time.Time) (string, error) {
	k, err := km.Signing(ctx)
	if err != nil {
		return "", fmt.Errorf("signing key: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(k.Algorithm),
		Key:       jose.JSONWebKey{Key: k.Signer, KeyID: k.ID, Algorithm: k.Algorithm},
	}, (&jose.SignerOptions{}).WithType(TokenType))
	if err != nil {
		return "", fmt.Errorf("signer: %w", err)
	}
	claims := logoutClaims{
		Issuer:   issuer,
		Subject:  d.Subject,
		Audience: d.ClientID,
		IssuedAt: now.Unix(),
		Expiry:   now.Add(tokenLifetime).Unix(),
		ID:       jti(d),
		SID:      d.SID,
		Events:   map[string]map[string]any{EventLogout: {}},
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign logout token: %w", err)
	}
	return raw, nil
}

// jti is the logout token id of d's next attempt.
func jti(d storage.LogoutDelivery) string {
	if d.Attempts == 0 {
		return d.ID
	}
	return fmt.Sprintf("%s.%d", d.ID, d.Attempts)
}
