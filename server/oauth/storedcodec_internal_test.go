package oauth

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/gatehouse-id/gatehouse/storage"
)

// legacyStored is the stored form as encoding/json wrote it before
// marshalStored: rows in existing databases look like this.
func legacyStored(t testing.TB, req fosite.Requester, form string) []byte {
	t.Helper()
	sess, err := json.Marshal(req.GetSession())
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(storedRequest{
		ID: req.GetID(), RequestedAt: req.GetRequestedAt().UTC(), ClientID: req.GetClient().GetID(),
		RequestedScope: req.GetRequestedScopes(), GrantedScope: req.GetGrantedScopes(),
		RequestedAudience: req.GetRequestedAudience(), GrantedAudience: req.GetGrantedAudience(),
		Form: form, Session: sess,
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// readStored reads data as Store.toRequest does, without the client.
func readStored(t *testing.T, data []byte) (storedRequest, *Session) {
	t.Helper()
	var sr storedRequest
	if err := json.Unmarshal(data, &sr); err != nil {
		t.Fatalf("unmarshal %s: %v", data, err)
	}
	sess := NewSession()
	if err := json.Unmarshal(sr.Session, sess); err != nil {
		t.Fatalf("unmarshal session %s: %v", sr.Session, err)
	}
	fillEmpty(sess)
	sr.Session = nil
	return sr, sess
}

func storedFixture(sess fosite.Session) *fosite.Request {
	req := fosite.NewRequest()
	req.ID = "01a24861-d916-70d8-b2c7-c1cdce591a02"
	req.RequestedAt = time.Date(2026, 12, 5, 22, 45, 1, 845948297, time.UTC)
	req.Client = &fosite.DefaultClient{ID: "app <&> \"ü\""}
	req.RequestedScope = fosite.Arguments{"openid", "api:read"}
	req.GrantedScope = fosite.Arguments{"openid"}
	req.GrantedAudience = fosite.Arguments{"https://api.example"}
	req.Session = sess
	return req
}

// fillFields sets every field Session declares itself (not the embedded
// DefaultSession) to a value that is not its zero, so that a field the
// codec forgets fails the round trip.
func fillFields(t *testing.T, s *Session) {
	t.Helper()
	v := reflect.ValueOf(s).Elem()
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if sf.Anonymous {
			continue
		}
		switch f.Interface().(type) {
		case string:
			f.SetString(sf.Name + " value")
		case bool:
			f.SetBool(true)
		case []string:
			f.Set(reflect.ValueOf([]string{sf.Name, "second"}))
		case map[string]any:
			f.Set(reflect.ValueOf(map[string]any{"sub": "actor", "act": map[string]any{"sub": "first"}}))
		default:
			t.Fatalf("Session.%s has type %s: teach fillFields (and check marshalStored writes it)", sf.Name, sf.Type)
		}
	}
}

// TestStoredRequestReadsAsBefore: what marshalStored writes reads back
// into the same request and session as encoding/json's form did, for
// every kind of session, and leaves out empty ID-token claims and headers.
func TestStoredRequestReadsAsBefore(t *testing.T) {
	now := time.Date(2026, 12, 5, 22, 45, 1, 846047013, time.UTC)
	client := NewSession()
	client.ClientID, client.Subject = "app", "app"
	client.SetExpiresAt(fosite.AccessToken, now.Add(15*time.Minute))

	user := newUserSession(storage.User{ID: "u1", Email: "ann@example.com", Name: "Ann", EmailVerified: true, Roles: []string{"admin"}},
		"app", fosite.Arguments{"openid", "email", "profile"}, now.Add(-time.Hour), now)
	user.setSID("sid-1")
	user.Claims.Audience = []string{"app"}
	user.Claims.Nonce = "n<>"
	user.Claims.AuthenticationMethodsReferences = []string{"pwd", "otp"}
	user.Headers.Extra = map[string]any{"typ": "JWT"}
	for _, k := range []fosite.TokenType{fosite.AccessToken, fosite.RefreshToken, fosite.AuthorizeCode, fosite.IDToken} {
		user.SetExpiresAt(k, now.Add(time.Hour).In(time.FixedZone("CET", 3600)))
	}

	every := NewSession()
	fillFields(t, every)
	every.Claims.Extra = map[string]any{"n": 1.5, "list": []any{"a", 2.0}}

	local := NewSession()
	local.SetExpiresAt(fosite.AccessToken, now.In(time.FixedZone("X", -5*3600)))

	bare := &Session{ClientID: "no default session"}

	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}.Encode()
	for name, sess := range map[string]fosite.Session{
		"client": client, "user": user, "every field": every, "other zone": local, "no default session": bare,
	} {
		t.Run(name, func(t *testing.T) {
			req := storedFixture(sess)
			data, err := marshalStored(req, form)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(data) {
				t.Fatalf("not JSON: %s", data)
			}
			gotReq, got := readStored(t, data)
			wantReq, want := readStored(t, legacyStored(t, req, form))
			if !reflect.DeepEqual(gotReq, wantReq) {
				t.Errorf("request reads as\n%+v\nwant\n%+v", gotReq, wantReq)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("session reads as\n%#v\nwant\n%#v\nfrom %s", got, want, data)
			}
		})
	}

	data, err := marshalStored(storedFixture(client), form)
	if err != nil {
		t.Fatal(err)
	}
	for _, left := range []string{"id_token_claims", "headers"} {
		if strings.Contains(string(data), left) {
			t.Errorf("a client's empty %s was written: %s", left, data)
		}
	}
	if legacy := legacyStored(t, storedFixture(client), form); len(data) > len(legacy)*2/3 {
		t.Errorf("stored form is %d bytes, encoding/json's %d", len(data), len(legacy))
	}
}

// TestStoredRequestRefusesBadTimes: a time encoding/json cannot write
// (a year past 9999) is an error, as it was, not a row that cannot be read.
func TestStoredRequestRefusesBadTimes(t *testing.T) {
	sess := NewSession()
	sess.SetExpiresAt(fosite.AccessToken, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	if data, err := marshalStored(storedFixture(sess), ""); err == nil {
		t.Fatalf("marshalStored wrote %s", data)
	}
}

// TestStoredSessionFields: emptyClaims checks every field of
// jwt.IDTokenClaims and appendSession writes every field of
// openid.DefaultSession; a fosite upgrade that adds one fails here.
func TestStoredSessionFields(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		want []string
	}{
		{reflect.TypeFor[jwt.IDTokenClaims](), []string{"JTI", "Issuer", "Subject", "Audience", "Nonce", "ExpiresAt",
			"IssuedAt", "RequestedAt", "AuthTime", "AccessTokenHash", "AuthenticationContextClassReference",
			"AuthenticationMethodsReferences", "CodeHash", "Extra"}},
		{reflect.TypeFor[openid.DefaultSession](), []string{"Claims", "Headers", "ExpiresAt", "Username", "Subject"}},
		{reflect.TypeFor[jwt.Headers](), []string{"Extra"}},
	} {
		var got []string
		for i := range c.typ.NumField() {
			got = append(got, c.typ.Field(i).Name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s has fields %v, the stored form knows %v: update storedcodec.go", c.typ, got, c.want)
		}
	}
	// Each claim alone makes the claims non-empty.
	v := reflect.ValueOf(&jwt.IDTokenClaims{}).Elem()
	for i := range v.NumField() {
		c := &jwt.IDTokenClaims{}
		f := reflect.ValueOf(c).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"x"}))
		case reflect.Map:
			f.Set(reflect.ValueOf(map[string]any{"x": 1}))
		case reflect.Struct:
			f.Set(reflect.ValueOf(time.Unix(1, 0)))
		default:
			t.Fatalf("IDTokenClaims.%s: unexpected kind %s", v.Type().Field(i).Name, f.Kind())
		}
		if emptyClaims(c) {
			t.Errorf("claims with only %s set count as empty", v.Type().Field(i).Name)
		}
	}
}

// BenchmarkMarshalStored: the stored form of a client-credentials token,
// written once per token issued; "encoding/json" is the form before.
func BenchmarkMarshalStored(b *testing.B) {
	sess := NewSession()
	sess.ClientID, sess.Subject = "app", "app"
	sess.SetExpiresAt(fosite.AccessToken, time.Now().Add(time.Hour))
	req := storedFixture(sess)
	form := "grant_type=client_credentials&scope=api%3Aread"
	b.Run("marshalStored", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := marshalStored(req, form); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			legacyStored(b, req, form)
		}
	})
}
