package oauth

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// DPoPError is a refused DPoP proof (RFC 9449): its error code
// (invalid_dpop_proof, or use_dpop_nonce with the nonce to use) and a
// description for the client.
type DPoPError struct {
	Code        string
	Description string
	// Nonce is the server nonce to send with use_dpop_nonce.
	Nonce string
}

func (e *DPoPError) Error() string { return "oauth: dpop: " + e.Code + ": " + e.Description }

// Is makes a refused proof at a resource endpoint an invalid token.
func (e *DPoPError) Is(target error) bool { return target == ErrInvalidToken }

func invalidProof(format string, args ...any) *DPoPError {
	return &DPoPError{Code: "invalid_dpop_proof", Description: fmt.Sprintf(format, args...)}
}

// dpopTokenType is the token_type of a token bound to a DPoP key (RFC 9449
// section 5), in the token response and in introspection.
const dpopTokenType = "DPoP"

// Limits of a DPoP proof.
const (
	maxProofBytes = 8 << 10
	maxJTIBytes   = 256
	minRSABits    = 2048
	// nonceWindow is how long a server nonce is handed out; one stays
	// good for two windows after that.
	nonceWindow = time.Minute
)

// dpopVerifier checks DPoP proofs (RFC 9449 section 4.3). A proof's jti
// is recorded, per key, in storage until the proof could no longer be
// accepted, so it is never accepted twice on any node.
type dpopVerifier struct {
	algs     []jose.SignatureAlgorithm
	maxAge   time.Duration
	nonce    bool
	nonceKey []byte
	jtis     storage.JTIs
	now      func() time.Time
}

func newDPoPVerifier(g GrantOptions, system []byte, jtis storage.JTIs) *dpopVerifier {
	algs := make([]jose.SignatureAlgorithm, 0, len(g.DPoPAlgorithms))
	for _, a := range g.DPoPAlgorithms {
		algs = append(algs, jose.SignatureAlgorithm(a))
	}
	maxAge := g.DPoPMaxAge
	if maxAge <= 0 {
		maxAge = time.Minute
	}
	return &dpopVerifier{algs: algs, maxAge: maxAge, nonce: g.DPoPNonce,
		nonceKey: secret.Derive(system, "dpop-nonce"), jtis: jtis, now: time.Now}
}

// dpopProof is what a checked proof establishes.
type dpopProof struct {
	// JKT is the SHA-256 JWK thumbprint of the proof's key (RFC 7638),
	// what a bound token's cnf.jkt names.
	JKT string
}

type proofClaims struct {
	JTI   string   `json:"jti"`
	HTM   string   `json:"htm"`
	HTU   string   `json:"htu"`
	IAT   *float64 `json:"iat"`
	ATH   string   `json:"ath"`
	Nonce string   `json:"nonce"`
}

// verify checks the request's one DPoP proof for a request to htu with
// r's method; accessToken, when not empty, must be what its ath hashes.
// It returns the proof, or a *DPoPError.
func (v *dpopVerifier) verify(ctx context.Context, r *http.Request, htu, accessToken string) (dpopProof, error) {
	values := r.Header.Values("DPoP")
	if len(values) != 1 {
		return dpopProof{}, invalidProof("Send exactly one DPoP header.")
	}
	raw := values[0]
	if len(raw) > maxProofBytes {
		return dpopProof{}, invalidProof("The DPoP proof is too long.")
	}
	jws, err := jose.ParseSignedCompact(raw, v.algs)
	if err != nil {
		return dpopProof{}, invalidProof("The DPoP proof is not a compact JWS signed with an accepted algorithm.")
	}
	if len(jws.Signatures) != 1 {
		return dpopProof{}, invalidProof("The DPoP proof must have one signature.")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return dpopProof{}, invalidProof("The DPoP proof's typ must be dpop+jwt.")
	}
	jwk := h.JSONWebKey
	if jwk == nil || !jwk.Valid() || !jwk.IsPublic() {
		return dpopProof{}, invalidProof("The DPoP proof's jwk header must be a valid public key.")
	}
	if k, ok := jwk.Key.(*rsa.PublicKey); ok && k.N.BitLen() < minRSABits {
		return dpopProof{}, invalidProof("The DPoP proof's RSA key must have at least %d bits.", minRSABits)
	}
	payload, err := jws.Verify(jwk)
	if err != nil {
		return dpopProof{}, invalidProof("The DPoP proof's signature does not verify with its jwk.")
	}
	var c proofClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return dpopProof{}, invalidProof("The DPoP proof's claims are not a JSON object.")
	}
	if err := v.checkClaims(r, htu, accessToken, c); err != nil {
		return dpopProof{}, err
	}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return dpopProof{}, invalidProof("The DPoP proof's jwk has no thumbprint.")
	}
	jkt := base64.RawURLEncoding.EncodeToString(thumb)
	now := v.now()
	// The proof is acceptable while its iat is within maxAge of now: keep
	// its jti at least that long.
	exp := time.Unix(int64(*c.IAT), 0).Add(v.maxAge + time.Second)
	if err := v.jtis.UseJTI(ctx, secret.SHA256Hex("dpop\x00"+jkt+"\x00"+c.JTI), exp, now); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return dpopProof{}, invalidProof("The DPoP proof was used before (jti).")
		}
		return dpopProof{}, fmt.Errorf("oauth: record dpop jti: %w", storageFailure(err))
	}
	return dpopProof{JKT: jkt}, nil
}

// checkClaims checks jti, htm, htu, iat, ath and the nonce.
func (v *dpopVerifier) checkClaims(r *http.Request, htu, accessToken string, c proofClaims) error {
	switch {
	case c.JTI == "" || len(c.JTI) > maxJTIBytes:
		return invalidProof("The DPoP proof needs a jti of at most %d bytes.", maxJTIBytes)
	case c.HTM != r.Method:
		return invalidProof("The DPoP proof's htm is not this request's method.")
	case !sameHTU(c.HTU, htu):
		return invalidProof("The DPoP proof's htu is not this endpoint's URL.")
	case c.IAT == nil || math.IsNaN(*c.IAT) || math.IsInf(*c.IAT, 0):
		return invalidProof("The DPoP proof needs an iat.")
	}
	if d := v.now().Sub(time.Unix(int64(*c.IAT), 0)); d > v.maxAge || d < -v.maxAge {
		return invalidProof("The DPoP proof's iat is too far from the server's time.")
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if !hmac.Equal([]byte(c.ATH), []byte(base64.RawURLEncoding.EncodeToString(sum[:]))) {
			return invalidProof("The DPoP proof's ath does not match the access token.")
		}
	} else if c.ATH != "" {
		return invalidProof("The DPoP proof carries an ath where no access token is sent.")
	}
	if v.nonce && !v.validNonce(c.Nonce) {
		return &DPoPError{Code: "use_dpop_nonce", Description: "Use the DPoP-Nonce the server sent.", Nonce: v.currentNonce()}
	}
	return nil
}

// sameHTU compares a proof's htu with the endpoint's URL, ignoring the
// query and fragment, the case of the scheme and host and a default port.
func sameHTU(got, want string) bool {
	g, err := url.Parse(got)
	if err != nil || !g.IsAbs() {
		return false
	}
	w, err := url.Parse(want)
	if err != nil {
		return false
	}
	return strings.EqualFold(g.Scheme, w.Scheme) && strings.EqualFold(hostPort(g), hostPort(w)) && g.EscapedPath() == w.EscapedPath()
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port == "" {
		return u.Hostname()
	}
	return u.Hostname() + ":" + port
}

// currentNonce is the server nonce of the current window: the window
// number with its MAC, so every node makes and accepts the same nonces
// without sharing state.
func (v *dpopVerifier) currentNonce() string {
	return v.nonceFor(uint64(v.now().Unix() / int64(nonceWindow/time.Second)))
}

func (v *dpopVerifier) nonceFor(window uint64) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], window)
	mac := hmac.New(sha256.New, v.nonceKey)
	mac.Write(b[:8])
	copy(b[8:], mac.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// validNonce accepts the nonces of the current and the two previous
// windows.
func (v *dpopVerifier) validNonce(nonce string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(raw) != 24 {
		return false
	}
	window := binary.BigEndian.Uint64(raw[:8])
	cur := uint64(v.now().Unix() / int64(nonceWindow/time.Second))
	if window > cur || cur-window > 2 {
		return false
	}
	return hmac.Equal([]byte(nonce), []byte(v.nonceFor(window)))
}

// algorithms are the accepted proof algorithms, for metadata and
// challenges.
func (v *dpopVerifier) algorithms() []string {
	out := make([]string, len(v.algs))
	for i, a := range v.algs {
		out[i] = string(a)
	}
	return out
}

// challenge is the WWW-Authenticate value of a refusal at a resource
// endpoint (RFC 9449 section 7.1).
func (v *dpopVerifier) challenge(code, description string) string {
	s := fmt.Sprintf(`DPoP algs=%q`, strings.Join(v.algorithms(), " "))
	if code != "" {
		s += fmt.Sprintf(`, error=%q, error_description=%q`, code, strings.ReplaceAll(description, `"`, ""))
	}
	return s
}
