package keys

import (
	"testing"
	"time"
)

// TestInfoState names a key's place in its life: published ahead, signing,
// or still published after it stopped signing.
func TestInfoState(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		info Info
		want string
	}{
		{Info{Current: true, SignFrom: now.Add(-time.Hour)}, StateActive},
		{Info{SignFrom: now.Add(time.Minute)}, StateNext},
		{Info{SignFrom: now.Add(-2 * time.Hour), RetireAt: now.Add(time.Hour)}, StateRetiring},
	} {
		if got := tc.info.State(now); got != tc.want {
			t.Errorf("State(%+v) = %s, want %s", tc.info, got, tc.want)
		}
	}
}
