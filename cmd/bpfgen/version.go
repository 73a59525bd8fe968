package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

func init() {
	register("version", command{
		usage:   "version",
		summary: "print the bpfgen module version this binary was built from",
		run:     cmdVersion,
	})
}

// cmdVersion prints "bpfgen VERSION": the module version go install or go
// tool recorded, or "(devel)" for a build inside the checkout, with the
// VCS revision when the build has one.
func cmdVersion(args []string, stdout, _ io.Writer) error {
	fs := newFlags("version")
	if err := parseFlags(fs, args, 0, stdout); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, "bpfgen", version())
	return err
}

// version is the main module's version from the build information.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	if v == "(devel)" {
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = "+dirty"
				}
			}
		}
		if rev != "" {
			v += " " + rev + modified
		}
	}
	return v
}
