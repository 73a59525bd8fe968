// Command taskiter lists the processes of the machine — pid, parent's
// pid, number of threads and command name — with a BPF task iterator
// (taskiter.bpf.c): the kernel walks its tasks and the program writes the
// text this reads. Run it as root:
//
//	go run ./examples/taskiter
package main

//go:generate go run github.com/bpfgen/bpfgen/cmd/bpfgen generate -target bpfel taskiter taskiter.bpf.c -- -I../../testdata

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/bpfgen/bpfgen/lskel"
)

// process is one line of the iterator's output.
type process struct {
	PID, PPID, Threads int
	Comm               string
}

func main() {
	procs, err := processes()
	if err != nil {
		fmt.Fprintln(os.Stderr, "taskiter:", err)
		os.Exit(1)
	}
	fmt.Printf("%-8s %-8s %-8s %s\n", "PID", "PPID", "THREADS", "COMM")
	for _, p := range procs {
		fmt.Printf("%-8d %-8d %-8d %s\n", p.PID, p.PPID, p.Threads, p.Comm)
	}
}

// processes loads the iterator, attaches it and reads it once.
func processes() ([]process, error) {
	objs, err := LoadTaskiter(nil)
	if err != nil {
		return nil, err
	}
	defer objs.Close()
	l, err := lskel.AttachIter(objs.ListTasks.Program)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	// Each open of the link starts a new walk over the tasks.
	r, err := l.OpenIter()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var procs []process
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// The command name is last: it may hold spaces.
		f := strings.SplitN(sc.Text(), " ", 4)
		if len(f) != 4 {
			return nil, fmt.Errorf("line %q: want pid, ppid, threads and comm", sc.Text())
		}
		p := process{Comm: f[3]}
		for i, n := range []*int{&p.PID, &p.PPID, &p.Threads} {
			if *n, err = strconv.Atoi(f[i]); err != nil {
				return nil, fmt.Errorf("line %q: %w", sc.Text(), err)
			}
		}
		procs = append(procs, p)
	}
	return procs, sc.Err()
}
