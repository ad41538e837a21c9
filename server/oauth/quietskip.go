package oauth

import (
	"context"

	"github.com/ory/fosite"
)

// quietSkip is a token-endpoint handler that declines a request of another
// grant with the bare fosite.ErrUnknownRequest. fosite's NewAccessResponse
// offers every request to every handler, and each of fosite's declines
// with errorsx.WithStack, capturing a stack trace: one per other grant's
// handler on every token request, about 1 % of a client-credentials
// request's CPU. Every handler
// Gatehouse composes declines exactly when CanHandleTokenEndpointRequest
// is false (PKCE's returns nil, which fosite treats the same), and fosite
// already asks CanHandleTokenEndpointRequest before HandleTokenEndpointRequest.
type quietSkip struct{ fosite.TokenEndpointHandler }

// PopulateTokenEndpointResponse implements fosite.TokenEndpointHandler.
func (q quietSkip) PopulateTokenEndpointResponse(ctx context.Context, req fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !q.CanHandleTokenEndpointRequest(ctx, req) {
		return fosite.ErrUnknownRequest
	}
	return q.TokenEndpointHandler.PopulateTokenEndpointResponse(ctx, req, resp)
}

// skipOtherGrantsQuietly wraps every token-endpoint handler of cfg in
// quietSkip. Call it last: fosite's Append skips a handler whose type is
// already in the list, and after this every entry has the same type.
func skipOtherGrantsQuietly(cfg *fosite.Config) {
	for i, h := range cfg.TokenEndpointHandlers {
		cfg.TokenEndpointHandlers[i] = quietSkip{h}
	}
}
