package jsonobj

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// claims is what an access token carries, with values of every kind.
func claims() map[string]any {
	return map[string]any{
		"jti": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "iss": "https://id.example.com", "sub": "svc-reports",
		"aud": []string{"https://api.example.com"}, "exp": int64(1764900000), "iat": int64(1764899100),
		"nbf": 1764899100, "scope": "api:read api:write", "client_id": "svc-reports", "admin": false,
		"ratio": 0.25, "tiny": 1e-9, "huge": 1e22, "nothing": nil, "empty": []string{}, "none": []string(nil),
		"html": "<a href='x'>&</a>", "quote": `say "hi" \ bye`, "ctl": "a\tb\nc\x01", "utf8": "žluťoučký kůň",
		"sep": "a\u2028b", "bad": "a\xffb", "when": time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC),
		"act":  map[string]any{"sub": "agent", "act": map[string]any{"sub": "root"}},
		"list": []any{"a", 1, true}, "i32": int32(-7), "neg": -3.5, "nilmap": map[string]any(nil),
		"int": math.MaxInt64,
	}
}

func TestMarshalMatchesEncodingJSON(t *testing.T) {
	for name, m := range map[string]map[string]any{
		"claims": claims(),
		"empty":  {},
		"nil":    nil,
		"header": {"alg": "RS256", "kid": "k1", "typ": "JWT"},
		"response": {"access_token": "eyJ.eyJ.sig", "token_type": "bearer", "expires_in": int64(899),
			"scope": "api:read"},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	for name, v := range map[string]any{"NaN": math.NaN(), "channel": make(chan int), "inf": math.Inf(1)} {
		if _, err := Marshal(map[string]any{"v": v}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzMarshal: any string as a key or a value is written as encoding/json
// writes it.
func FuzzMarshal(f *testing.F) {
	for _, s := range []string{"", "plain", "<&>", "\"\\", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "ü€𝄞"} {
		f.Add(s, s, 1.5)
	}
	f.Fuzz(func(t *testing.T, key, value string, n float64) {
		m := map[string]any{key: value, key + "n": n, key + "l": []string{value, key}}
		want, wantErr := json.Marshal(m)
		got, err := Marshal(m)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("error %v, encoding/json's %v", err, wantErr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}

func BenchmarkMarshal(b *testing.B) {
	m := map[string]any{
		"jti": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "iss": "https://id.example.com", "sub": "svc-reports",
		"aud": []string{}, "exp": int64(1764900000), "iat": int64(1764899100), "nbf": int64(1764899100),
		"scp": []string{"api:read"}, "client_id": "svc-reports", "ext": map[string]any{},
	}
	b.Run("jsonobj", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestMarshalAllocatesOnce: a token response, most of it the access
// token, is written into one buffer sized beforehand.
func TestMarshalAllocatesOnce(t *testing.T) {
	resp := map[string]any{"access_token": strings.Repeat("eyJhbGciOiJSUzI1NiJ9", 50), "token_type": "bearer",
		"expires_in": int64(899), "scope": "api:read api:write"}
	if n := testing.AllocsPerRun(100, func() { _, _ = Marshal(resp) }); n > 1 {
		t.Errorf("Marshal made %.0f allocations, want 1", n)
	}
}
