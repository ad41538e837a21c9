package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// TestDockerignoreKeepsPackages applies the .dockerignore rules, with
// Docker's own matcher, to every file the binary's build needs (each Go
// package of this module that cmd/gatehouse imports, its embedded files,
// go.mod and go.sum) and fails when one would be left out of the build
// context: a rule such as "mail" (meant for dev mail) once dropped the
// mail package and the image did not build.
func TestDockerignoreKeepsPackages(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("go", "list", "-deps", "-json=Module,Dir,GoFiles,CgoFiles,EmbedFiles", "./cmd/gatehouse")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	needed := []string{"go.mod", "go.sum", "Dockerfile"}
	dec := json.NewDecoder(bytes.NewReader(out))
	packages := 0
	for {
		var p struct {
			Module            *struct{ Main bool }
			Dir               string
			GoFiles, CgoFiles []string
			EmbedFiles        []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue // the standard library and modules come from the module cache
		}
		packages++
		for _, group := range [][]string{p.GoFiles, p.CgoFiles, p.EmbedFiles} {
			for _, name := range group {
				rel, err := filepath.Rel(root, filepath.Join(p.Dir, name))
				if err != nil {
					t.Fatal(err)
				}
				needed = append(needed, rel)
			}
		}
	}
	if packages < 10 {
		t.Fatalf("go list found %d packages of this module; expected the whole binary", packages)
	}
	for _, rel := range needed {
		excluded, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
		if err != nil {
			t.Fatal(err)
		}
		if excluded {
			t.Errorf(".dockerignore leaves out %s, which the build needs", rel)
		}
	}
}
