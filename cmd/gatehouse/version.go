package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// cmdVersion prints the version and build information as one JSON
// object: the module version ("(devel)" for a build from a checkout), the
// Go version and platform, and the VCS revision, time and modified flag
// when the build recorded them.
func cmdVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		return fail(stderr, fmt.Errorf("version: unexpected argument %q", args[0]))
	}
	out := map[string]any{"version": "unknown", "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			out["version"] = bi.Main.Version
		}
		out["module"] = bi.Main.Path
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				out["revision"] = s.Value
			case "vcs.time":
				out["revision_time"] = s.Value
			case "vcs.modified":
				out["modified"] = s.Value == "true"
			case "CGO_ENABLED":
				out["cgo"] = s.Value == "1"
			}
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fail(stderr, err)
	}
	return 0
}
