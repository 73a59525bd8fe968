package kernel

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLoadErrorMessage(t *testing.T) {
	var long strings.Builder
	for i := range 100 {
		long.WriteString("line ")
		long.WriteString(string(rune('a' + i%26)))
		long.WriteString("\n")
	}
	tests := []struct {
		name      string
		err       *LoadError
		want      string // the message starts so
		logLines  int    // log lines in the message
		wantErrno unix.Errno
	}{
		{"long log keeps its tail", &LoadError{Object: "o", Step: "load program p", Err: &VerifierError{Errno: unix.EACCES, Log: long.String()}},
			`load "o": load program p: permission denied` + "\nverifier log (last 60 of 100 lines):\n\tline", VerifierLogTail, unix.EACCES},
		{"short log", &LoadError{Object: "o", Step: "load BTF", Err: &VerifierError{Errno: unix.EINVAL, Log: "bad\n\x00"}},
			`load "o": load BTF: invalid argument` + "\nverifier log:\n\tbad", 0, unix.EINVAL},
		{"no log", &LoadError{Object: "o", Step: "load program p", Err: &VerifierError{Errno: unix.EPERM}},
			`load "o": load program p: operation not permitted (the kernel wrote no log)`, 0, unix.EPERM},
		{"syscall failure", &LoadError{Object: "o", Step: "create map m", Err: &Error{Cmd: CmdMapCreate, Errno: unix.E2BIG}},
			`load "o": create map m: bpf(BPF_MAP_CREATE): argument list too long`, 0, unix.E2BIG},
		{"no object", &LoadError{Step: "create map m", Err: unix.ENOMEM},
			`create map m: cannot allocate memory`, 0, unix.ENOMEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.err.Error()
			if !strings.HasPrefix(msg, tt.want) {
				t.Fatalf("message %q\nwant prefix %q", msg, tt.want)
			}
			if got := strings.Count(msg, "\n\tline "); tt.logLines > 0 && got != tt.logLines {
				t.Errorf("message has %d log lines, want %d", got, tt.logLines)
			}
			if !errors.Is(tt.err, tt.wantErrno) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.wantErrno)
			}
		})
	}
}

func TestErrnoOf(t *testing.T) {
	tests := []struct {
		err  error
		want syscall.Errno
	}{
		{unix.EPERM, unix.EPERM},
		{&Error{Cmd: CmdProgLoad, Errno: unix.EACCES}, unix.EACCES},
		{&LoadError{Step: "load BTF", Err: &VerifierError{Errno: unix.E2BIG}}, unix.E2BIG},
		{fmt.Errorf("wrapped: %w", unix.ENOENT), unix.ENOENT},
		{errors.New("no errno"), unix.EINVAL},
		{nil, unix.EINVAL},
	}
	for _, tt := range tests {
		if got := ErrnoOf(tt.err); got != tt.want {
			t.Errorf("ErrnoOf(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
