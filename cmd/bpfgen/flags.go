package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// usageError is a command line the command cannot run: an unknown flag,
// a bad flag value or the wrong number of arguments. bpfgen prints it
// with the command's usage to standard error and exits with status 2.
type usageError struct {
	fs  *flag.FlagSet
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// newFlags returns the flag set of the registered command name. Its
// Usage writes "usage: bpfgen …", the summary and the flags to the
// flag set's output.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c := commands[name]
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: bpfgen %s\n\n%s\n", c.usage, c.summary)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args, whose flags may follow the positional
// arguments, and wants exactly nargs positional ones. -h, -help and
// --help print the usage to stdout and return flag.ErrHelp; anything
// else wrong is a *usageError.
func parseFlags(fs *flag.FlagSet, args []string, nargs int, stdout io.Writer) error {
	usage := fs.Usage
	fs.Usage = func() {} // the flag package would print it to its output on every error
	fs.SetOutput(io.Discard)
	err := fs.Parse(interleave(fs, args))
	fs.Usage = usage
	switch {
	case err == flag.ErrHelp:
		fs.SetOutput(stdout)
		fs.Usage()
		return err
	case err != nil:
		return &usageError{fs, err}
	case fs.NArg() != nargs:
		what := "arguments"
		if fs.NArg() > nargs {
			what = "extra arguments: " + strings.Join(fs.Args()[nargs:], " ")
		}
		if fs.NArg() < nargs {
			what = "missing argument"
		}
		return &usageError{fs, fmt.Errorf("%s", what)}
	}
	return nil
}

// interleave lets flags follow positional arguments (`bpfgen load OBJ
// --json`), as users of bpftool expect.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			name := a
			for len(name) > 0 && name[0] == '-' {
				name = name[1:]
			}
			if f := fs.Lookup(name); f != nil && !isBool(f) && i+1 < len(args) && !strings.Contains(a, "=") {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	// "--" keeps a positional argument that starts with '-' from being
	// read as a flag.
	return append(append(flags, "--"), pos...)
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
