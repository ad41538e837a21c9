// Package static holds Gatehouse's stylesheet, icons and its one script,
// passkey.js (the WebAuthn ceremonies of the passkey buttons), embedded in
// the binary and served by server/web under /static/. Every page works
// without the script except for passkeys.
package static

import "embed"

// FS holds every static asset.
//
//go:embed *.css *.svg *.js
var FS embed.FS
