// Package static holds Gatehouse's stylesheet and icons, embedded in the
// binary and served by server/web under /static/. The pages need no
// JavaScript.
package static

import "embed"

// FS holds every static asset.
//
//go:embed *.css *.svg
var FS embed.FS
