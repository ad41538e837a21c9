package templates

import (
	"errors"
	"io/fs"
)

// Overlay returns the templates with the files of dir in front: a file in
// dir replaces the embedded one of the same name, and every template dir
// does not hold comes from the binary. An operator's directory therefore
// keeps working when a new release adds a page (a second-factor step, a
// console page): only the pages they changed are theirs to maintain.
func Overlay(dir fs.FS) fs.FS {
	return overlay{top: dir, base: FS}
}

type overlay struct {
	top, base fs.FS
}

// Open opens name from the top layer, or from the base when the top layer
// has no such file. Any other failure of the top layer (a file it holds
// but cannot read) is reported, not hidden behind the embedded file.
func (o overlay) Open(name string) (fs.File, error) {
	f, err := o.top.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return o.base.Open(name)
	}
	return f, err
}
