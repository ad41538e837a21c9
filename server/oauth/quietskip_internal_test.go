package oauth

import (
	"context"
	"testing"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
)

// grantHandler is a token-endpoint handler of one grant that counts the
// responses it populates.
type grantHandler struct {
	grant     string
	populated int
}

func (h *grantHandler) HandleTokenEndpointRequest(context.Context, fosite.AccessRequester) error {
	return nil
}

func (h *grantHandler) PopulateTokenEndpointResponse(context.Context, fosite.AccessRequester, fosite.AccessResponder) error {
	h.populated++
	return nil
}

func (h *grantHandler) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

func (h *grantHandler) CanHandleTokenEndpointRequest(_ context.Context, r fosite.AccessRequester) bool {
	return r.GetGrantTypes().ExactOne(h.grant)
}

// TestQuietSkip: wrapped, fosite's handlers decline another grant's
// request with the bare ErrUnknownRequest (no stack trace captured), and a
// handler still populates the responses of its own grant.
func TestQuietSkip(t *testing.T) {
	cfg := &fosite.Config{}
	own := &grantHandler{grant: "client_credentials"}
	cfg.TokenEndpointHandlers.Append(&oauth2.RefreshTokenGrantHandler{})
	cfg.TokenEndpointHandlers.Append(own)
	skipOtherGrantsQuietly(cfg)

	req := fosite.NewAccessRequest(NewSession())
	req.GrantTypes = fosite.Arguments{"client_credentials"}
	resp := fosite.NewAccessResponse()
	for _, h := range cfg.TokenEndpointHandlers {
		if _, ok := h.(quietSkip); !ok {
			t.Fatalf("handler %T is not wrapped", h)
		}
	}
	if err := cfg.TokenEndpointHandlers[0].PopulateTokenEndpointResponse(t.Context(), req, resp); err != fosite.ErrUnknownRequest { //nolint:errorlint // the bare sentinel, not a wrapped copy
		t.Errorf("refresh handler on a client_credentials request: %v, want the bare ErrUnknownRequest", err)
	}
	if err := cfg.TokenEndpointHandlers[1].PopulateTokenEndpointResponse(t.Context(), req, resp); err != nil || own.populated != 1 {
		t.Errorf("own grant: %v, populated %d times, want once", err, own.populated)
	}
	req.GrantTypes = fosite.Arguments{"password"}
	if err := cfg.TokenEndpointHandlers[1].PopulateTokenEndpointResponse(t.Context(), req, resp); err != fosite.ErrUnknownRequest || own.populated != 1 { //nolint:errorlint // the bare sentinel
		t.Errorf("other grant: %v, populated %d times", err, own.populated)
	}
}
