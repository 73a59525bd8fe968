// Command bpfgen opens, loads and turns BPF ELF objects into loader
// programs and Go light skeletons.
//
// Usage:
//
//	bpfgen <command> [arguments]
//
// Commands register themselves in commands (see register) from the file
// that implements them: inspect.go, skeleton.go, and loadcmds.go for the
// commands that load or write loaders (load, loader, run, dump); run
// "bpfgen help" for the list.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
)

// command is one subcommand. run gets the arguments after the command
// name, writes its output to stdout and notes to stderr. An error it
// returns is printed to stderr as one line, "bpfgen NAME: error", and
// makes bpfgen exit with status 1; a usageError exits with status 2 and
// the command's usage, and flag.ErrHelp (-h, after the usage went to
// stdout) with status 0, as the flag package's ExitOnError does.
type command struct {
	usage   string // e.g. "inspect OBJ [--json]"
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands maps a subcommand name to its implementation; the files that
// implement commands add to it with register from an init function.
var commands = map[string]command{}

// register adds a subcommand; names must be unique.
func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("bpfgen: command registered twice: " + name)
	}
	commands[name] = c
}

func main() {
	// A command runs for milliseconds and its heap is garbage at exit:
	// collecting less often is 5-10% of `bpfgen skeleton` on a large
	// object (the heap peaks a few MiB higher). GOGC, when set, decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) == 2 { // bpfgen help CMD
			if c, ok := commands[args[1]]; ok {
				fmt.Fprintf(stdout, "usage: bpfgen %s\n\n%s\n", c.usage, c.summary)
				fmt.Fprintf(stdout, "\nRun \"bpfgen %s -h\" for its flags.\n", args[1])
				return 0
			}
		}
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "bpfgen: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	err := c.run(args[1:], stdout, stderr)
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "bpfgen %s: %v\n", name, err)
		ue.fs.SetOutput(stderr)
		ue.fs.Usage()
		return 2
	}
	fmt.Fprintf(stderr, "bpfgen %s: %v\n", name, err)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bpfgen <command> [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(commands[n].usage))
	}
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  bpfgen %s%s  %s\n", c.usage, strings.Repeat(" ", width-len(c.usage)), c.summary)
	}
}
