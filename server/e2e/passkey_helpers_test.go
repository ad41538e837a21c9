package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// passkeyServer starts a server on http://localhost:PORT: browsers refuse
// an IP address as WebAuthn relying-party id.
func passkeyServer(t *testing.T, opts ...servertest.Option) *servertest.Env {
	t.Helper()
	return servertest.Start(t, append([]servertest.Option{servertest.WithHostName("localhost")}, opts...)...)
}

// virtualAuthenticator gives Chromium's tab a platform authenticator that
// holds discoverable credentials and verifies the user (CDP WebAuthn
// domain, CTAP2, internal transport): every ceremony the pages start is
// answered by it, as a person touching the fingerprint reader would.
func virtualAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	var id webauthn.AuthenticatorID
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Ctap2version:                webauthn.Ctap2versionCtap21,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			},
		})
		id = res.AuthenticatorID
		return err
	}))
	if err != nil {
		t.Fatalf("virtual authenticator: %v", err)
	}
	return id
}

// authenticatorCredentials lists what the virtual authenticator holds.
func authenticatorCredentials(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) []*webauthn.Credential {
	t.Helper()
	var creds []*webauthn.Credential
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
		creds = res.Credentials
		return err
	}))
	if err != nil {
		t.Fatalf("authenticator credentials: %v", err)
	}
	return creds
}

// withoutPasskeyAutofill makes Chromium's pages look like a browser that
// offers no passkey autofill (conditional mediation), until the returned
// function is called: Chromium with a virtual authenticator answers a
// conditional request at once, which would sign in before the test could
// press #passkey-login.
func withoutPasskeyAutofill(t *testing.T, ctx context.Context) (restore func()) {
	t.Helper()
	var script page.ScriptIdentifier
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: "delete PublicKeyCredential.isConditionalMediationAvailable;",
		})
		script = res.Identifier
		return err
	}))
	if err != nil {
		t.Fatalf("turn passkey autofill off: %v", err)
	}
	return func() {
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: script})
			return err
		}))
		if err != nil {
			t.Fatalf("turn passkey autofill on: %v", err)
		}
	}
}
