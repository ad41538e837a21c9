// Package templates holds Gatehouse's HTML page templates, embedded in the
// binary so it runs from any directory. server/web parses every page at
// start; an operator may put a directory in front of them (Overlay), whose
// files replace the embedded ones of the same names.
//
// layout.html defines "layout", the shared page shell; every other file
// defines "title" and "content" for one page and is rendered through it.
// mail/ holds the mail bodies, each as a plain-text and an HTML part.
package templates

import "embed"

// FS holds every page template (*.html).
//
//go:embed *.html
var FS embed.FS

// Mail holds the mail templates, mail/<name>.txt (text/template) and
// mail/<name>.html (html/template): the plain-text and HTML parts of one
// message. An operator's templates directory may override each file.
//
//go:embed mail/*.txt mail/*.html
var Mail embed.FS
