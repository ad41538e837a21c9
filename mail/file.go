package mail

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gatehouse-id/gatehouse/secret"
)

// File writes each message as one .eml file in Dir, creating Dir on
// demand. Files are written under a temporary name and renamed, so a
// reader never sees half a message.
type File struct {
	Dir  string
	From string
}

var _ Sender = (*File)(nil)

// Send writes m to a new file.
func (f *File) Send(_ context.Context, m Message) error {
	var buf bytes.Buffer
	if err := write(&buf, f.From, m); err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return fmt.Errorf("mail: create directory: %w", err)
	}
	name := fmt.Sprintf("%s-%s.eml", time.Now().UTC().Format("20060102T150405.000000000Z"), secret.Token(6))
	tmp := filepath.Join(f.Dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("mail: write file: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(f.Dir, name)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("mail: write file: %w", err)
	}
	return nil
}
