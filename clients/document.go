package clients

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MaxDocumentIDBytes bounds a client ID that is a metadata document URL.
const MaxDocumentIDBytes = 1000

// IsDocumentID reports whether id has the form of a client ID metadata
// document URL: an http(s) URL with a host and a path beyond "/". Whether
// plain http is fetched is the fetcher's decision.
func IsDocumentID(id string) bool {
	u, err := url.Parse(id)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.Path != "" && u.Path != "/"
}

// CheckDocumentID refuses a client ID URL the metadata document draft
// forbids: user information, a fragment, dot segments, or one too long.
func CheckDocumentID(id string) error {
	u, err := url.Parse(id)
	switch {
	case err != nil || !IsDocumentID(id):
		return errors.New("the client_id is not a URL with a path")
	case len(id) > MaxDocumentIDBytes:
		return fmt.Errorf("the client_id URL is longer than %d bytes", MaxDocumentIDBytes)
	case u.User != nil:
		return errors.New("the client_id URL has user information")
	case u.Fragment != "" || strings.Contains(id, "#"):
		return errors.New("the client_id URL has a fragment")
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		// Each segment decoded on its own, so "%2e", ".%2E" and the like
		// count as the dot segments they resolve to.
		if dec, err := url.PathUnescape(seg); err != nil || dec == "." || dec == ".." {
			return errors.New("the client_id URL has a dot segment in its path")
		}
	}
	return nil
}

// Document checks a fetched client ID metadata document for client id:
// its client_id equals id exactly; the client authenticates with nothing
// (none, the default: a document is public, so no shared secret can be in
// it); the rest as a self-registration (Normalize).
func (p DynamicPolicy) Document(id string, raw []byte) (Metadata, error) {
	var m Metadata
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, badMetadata("the document is not a JSON object of client metadata")
	}
	if m.ClientID != id {
		return m, badMetadata("the document's client_id %q is not its URL", clip(m.ClientID))
	}
	switch m.TokenEndpointAuthMethod {
	case "":
		m.TokenEndpointAuthMethod = AuthNone
	case AuthNone:
	default:
		return m, badMetadata("token_endpoint_auth_method %q is not supported for a metadata document (use none)", clip(m.TokenEndpointAuthMethod))
	}
	return p.Normalize(m)
}
