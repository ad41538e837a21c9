package secret_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-id/gatehouse/secret"
)

func TestHasher(t *testing.T) {
	ctx := context.Background()
	h := secret.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	hash, err := h.Hash(ctx, []byte("client-secret"))
	if err != nil || len(hash) != 32 || bytes.Contains(hash, []byte("client-secret")) {
		t.Fatalf("Hash = %x, %v", hash, err)
	}
	if err := h.Compare(ctx, hash, []byte("client-secret")); err != nil {
		t.Fatal(err)
	}
	if err := h.Compare(ctx, hash, []byte("client-secreT")); !errors.Is(err, secret.ErrMismatch) {
		t.Fatalf("wrong secret: %v", err)
	}
	other := secret.NewHasher([]byte("another system secret, 32 bytes!"))
	if err := other.Compare(ctx, hash, []byte("client-secret")); err == nil {
		t.Fatal("hash verified under another system secret")
	}
}

func TestDeriveAndToken(t *testing.T) {
	sys := []byte("0123456789abcdef0123456789abcdef")
	if bytes.Equal(secret.Derive(sys, "a"), secret.Derive(sys, "b")) || len(secret.Derive(sys, "a")) != 32 {
		t.Fatal("derived keys are not distinct 32-byte keys")
	}
	if a, b := secret.Token(32), secret.Token(32); a == b || len(a) != 43 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if got := secret.SHA256Hex("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("SHA256Hex = %s", got)
	}
}
