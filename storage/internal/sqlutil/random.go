package sqlutil

import (
	"crypto/rand"
	"encoding/hex"
)

// RandomID returns 128 random bits as 32 lower-case hex digits: a browser
// session's SID when the caller gave none.
func RandomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
