package oauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// userCodeAlphabet is RFC 8628 section 6.1's example: 20 consonants, no
// vowels (no words), none that reads as a digit. Eight of them give
// 20^8 ≈ 2^34.6 codes, enough with the per-IP limit on guesses and a
// code lifetime of minutes.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

const userCodeLength = 8

// newUserCode returns a random user code of userCodeLength letters of the
// alphabet, unbiased (rejection sampling), without the separator.
func newUserCode() string {
	var out [userCodeLength]byte
	var buf [1]byte
	for i := 0; i < len(out); {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("oauth: crypto/rand failed: " + err.Error())
		}
		// 240 = 12 × 20: bytes from 240 up would favour the first letters.
		if buf[0] >= 240 {
			continue
		}
		out[i] = userCodeAlphabet[buf[0]%20]
		i++
	}
	return string(out[:])
}

// formatUserCode shows a user code as XXXX-XXXX.
func formatUserCode(code string) string {
	if len(code) != userCodeLength {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// normalizeUserCode reads what a person typed: case, spaces and dashes do
// not matter. It returns "" unless the rest is exactly a user code.
func normalizeUserCode(typed string) string {
	if len(typed) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case r < 128 && strings.IndexByte(userCodeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != userCodeLength {
		return ""
	}
	return b.String()
}

// hashUserCode is the stored form of a normalised user code: keyed, since
// the code space is small enough to enumerate.
func hashUserCode(key []byte, code string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(code))
	return hex.EncodeToString(mac.Sum(nil))
}
