package sqlutil

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// EncodeFactors encodes a browser session's factors as a JSON array ("[]"
// when there are none), times in UTC to the microsecond.
func EncodeFactors(fs []storage.SessionFactor) string {
	if len(fs) == 0 {
		return "[]"
	}
	out := make([]storage.SessionFactor, len(fs))
	for i, f := range fs {
		out[i] = storage.SessionFactor{Method: CleanText(f.Method), At: f.At.UTC().Truncate(time.Microsecond)}
	}
	b, _ := json.Marshal(out) // strings and times always marshal
	return string(b)
}

// DecodeFactors decodes EncodeFactors's output; an empty array gives nil.
func DecodeFactors(raw []byte) ([]storage.SessionFactor, error) {
	var fs []storage.SessionFactor
	if err := json.Unmarshal(raw, &fs); err != nil {
		return nil, fmt.Errorf("decode session factors: %w", err)
	}
	if len(fs) == 0 {
		return nil, nil
	}
	for i := range fs {
		fs[i].At = fs[i].At.UTC()
	}
	return fs, nil
}
