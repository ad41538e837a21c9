package secret

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealer(t *testing.T) {
	system := bytes.Repeat([]byte("s"), 32)
	s, err := NewSealer(system, "test")
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("JBSWY3DPEHPK3PXP"), "user-1")
	if bytes.Contains(sealed, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatal("sealed value holds the plain text")
	}
	plain, err := s.Open(sealed, "user-1")
	if err != nil || string(plain) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	if _, err := s.Open(sealed, "user-2"); !errors.Is(err, ErrUnseal) {
		t.Fatalf("Open for another row = %v, want ErrUnseal", err)
	}
	other, _ := NewSealer(bytes.Repeat([]byte("t"), 32), "test")
	if _, err := other.Open(sealed, "user-1"); !errors.Is(err, ErrUnseal) {
		t.Fatalf("Open under another secret = %v, want ErrUnseal", err)
	}
	if _, err := s.Open(nil, "user-1"); !errors.Is(err, ErrUnseal) {
		t.Fatalf("Open(nil) = %v, want ErrUnseal", err)
	}
}
