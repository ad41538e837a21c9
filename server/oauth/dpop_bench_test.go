package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/storage"
)

// memJTIs is storage.JTIs in memory: the benchmark measures the proof
// check's CPU, not a database round trip.
type memJTIs struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (m *memJTIs) UseJTI(_ context.Context, jti string, exp, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.seen[jti]; ok && e.After(now) {
		return storage.ErrAlreadyExists
	}
	m.seen[jti] = exp
	return nil
}

func es256Proofs(tb testing.TB, n int, htu string) []string {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]string, n)
	for i := range out {
		payload, _ := json.Marshal(map[string]any{"jti": rand.Text(), "htm": "POST", "htu": htu, "iat": time.Now().Unix()})
		jws, err := s.Sign(payload)
		if err != nil {
			tb.Fatal(err)
		}
		if out[i], err = jws.CompactSerialize(); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

func testVerifier() *dpopVerifier {
	return newDPoPVerifier(GrantOptions{DPoPAlgorithms: []string{"ES256", "EdDSA", "RS256", "PS256"}, DPoPMaxAge: time.Minute},
		[]byte("0123456789abcdef0123456789abcdef"), &memJTIs{seen: map[string]time.Time{}})
}

// BenchmarkDPoPVerifyES256 is the server's CPU per DPoP proof at the token
// endpoint (parse, key and signature checks, claims, thumbprint, jti
// record in memory). Budget: under 0.3 ms per proof.
func BenchmarkDPoPVerifyES256(b *testing.B) {
	const htu = "https://id.example.com/oauth2/token"
	v := testVerifier()
	proofs := es256Proofs(b, b.N, htu)
	r, _ := http.NewRequest(http.MethodPost, htu, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Header.Set("DPoP", proofs[i])
		if _, err := v.verify(ctx, r, htu, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDPoPVerifyReplayAndThumbprint(t *testing.T) {
	const htu = "https://id.example.com/oauth2/token"
	v := testVerifier()
	p := es256Proofs(t, 1, htu)[0]
	r, _ := http.NewRequest(http.MethodPost, htu+"?ignored=1", nil)
	r.Header.Set("DPoP", p)
	got, err := v.verify(context.Background(), r, htu, "")
	if err != nil || len(got.JKT) != 43 {
		t.Fatalf("verify: %+v %v", got, err)
	}
	if _, err := v.verify(context.Background(), r, htu, ""); err == nil {
		t.Fatal("a replayed proof was accepted")
	}
	r.Header.Add("DPoP", p)
	if _, err := v.verify(context.Background(), r, htu, ""); err == nil {
		t.Fatal("two DPoP headers were accepted")
	}
}

func TestDPoPNonceWindows(t *testing.T) {
	v := testVerifier()
	now := time.Unix(1_800_000_000, 0)
	v.now = func() time.Time { return now }
	n := v.currentNonce()
	if !v.validNonce(n) {
		t.Fatal("the current nonce is refused")
	}
	now = now.Add(2 * nonceWindow)
	if !v.validNonce(n) {
		t.Fatal("a nonce two windows old is refused")
	}
	now = now.Add(nonceWindow)
	if v.validNonce(n) {
		t.Fatal("a nonce three windows old is accepted")
	}
	forged := n[:len(n)-1] + "A"
	if n[len(n)-1] == 'A' {
		forged = n[:len(n)-1] + "B"
	}
	if v.validNonce("") || v.validNonce(forged) {
		t.Fatal("a malformed or forged nonce is accepted")
	}
}
