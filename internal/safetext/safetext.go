// Package safetext makes text from outside (headers, forms, upstream
// answers) fit to store and log: valid UTF-8, bounded in bytes.
package safetext

import (
	"strings"
	"unicode/utf8"
)

// Clip returns s as valid UTF-8 without NUL (each invalid byte sequence
// and each NUL replaced by U+FFFD) of at most n bytes, cut at a character boundary. PostgreSQL
// refuses text that is not valid UTF-8, so a byte-wise cut through a
// multi-byte character would fail the whole write.
func Clip(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Storable reports whether s can be stored or looked up as text on every
// backend: valid UTF-8 without NUL bytes, which PostgreSQL refuses.
func Storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
