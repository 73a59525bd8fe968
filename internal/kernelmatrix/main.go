// Command kernelmatrix reports the results of `make test-kernels`
// (scripts/kernels/matrix.sh): for each column (the host, then each booted
// kernel) it reads every package's test output, turns it into test2json
// events with `go tool test2json`, and prints a kernel x package table of
// passed / failed / skipped tests, every skipped test with its message, and
// every failed test with the last lines of its output. It writes the same as
// JSON and exits 1 when a test failed or a guest did not complete.
//
// Layout it reads (written by matrix.sh and run-tests.sh):
//
//	WORK/packages                 "IMPORTPATH DIR BINARY" per package
//	RESULTS/COLUMN/meta           key=value lines (kver, status, boot_s, …)
//	RESULTS/COLUMN/pkgs/N.out     the binary's -test.v=test2json output
//	RESULTS/COLUMN/pkgs/N.rc      "EXIT SECONDS"
//	RESULTS/COLUMN/console.log    the serial console (guests)
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	results := flag.String("results", "", "results directory (RESULTS)")
	work := flag.String("work", "", "work directory holding the package list (WORK)")
	jsonOut := flag.String("json", "", "write the report as JSON to this file")
	tail := flag.Int("lines", 25, "lines of output shown per failed test")
	flag.Parse()
	if *results == "" || *work == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: kernelmatrix -results DIR -work DIR [-json FILE] COLUMN...")
		os.Exit(2)
	}
	pkgs, err := readPackages(filepath.Join(*work, "packages"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernelmatrix:", err)
		os.Exit(2)
	}
	rep := Report{Revision: strings.TrimSpace(readString(filepath.Join(*work, "revision")))}
	for _, name := range flag.Args() {
		col, err := readColumn(filepath.Join(*results, name), name, pkgs, *tail, test2json)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kernelmatrix:", err)
			os.Exit(2)
		}
		rep.Columns = append(rep.Columns, col)
	}
	rep.OK = rep.ok()
	rep.Write(os.Stdout, pkgs)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "kernelmatrix:", err)
			os.Exit(2)
		}
		fmt.Printf("\nJSON: %s\n", *jsonOut)
	}
	if !rep.OK {
		os.Exit(1)
	}
}

// Report is the whole matrix; it is also the JSON written with -json.
type Report struct {
	Revision string    `json:"revision"`
	OK       bool      `json:"ok"`
	Columns  []*Column `json:"columns"`
}

// Column is one kernel (or the host).
type Column struct {
	Name      string            `json:"name"`
	Kernel    string            `json:"kernel"`
	Status    string            `json:"status"` // "completed" or why not
	Completed bool              `json:"completed"`
	BootS     int               `json:"boot_seconds"`
	RunS      int               `json:"run_seconds"`
	TotalS    int               `json:"total_seconds"`
	Meta      map[string]string `json:"meta"`
	Packages  map[string]*Pkg   `json:"packages"`
	Skipped   []Test            `json:"skipped"`
	Failed    []Test            `json:"failed"`
	Console   string            `json:"console_tail,omitempty"` // when the guest did not complete
}

// Pkg counts one package's tests in one column (tests without subtests).
type Pkg struct {
	Pass    int    `json:"pass"`
	Fail    int    `json:"fail"`
	Skip    int    `json:"skip"`
	Exit    int    `json:"exit"` // -1: did not run or did not finish
	Seconds int    `json:"seconds"`
	Note    string `json:"note,omitempty"`
}

// Test is a skipped or failed test (any depth; "(package)" for a failure
// outside any test: a panic, a timeout, TestMain, a binary that never ended).
type Test struct {
	Package string `json:"package"`
	Test    string `json:"test"`
	Message string `json:"message"`
}

// event is one test2json record.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

type pkgInfo struct{ path, dir, bin string }

func readPackages(file string) ([]pkgInfo, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []pkgInfo
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 {
			out = append(out, pkgInfo{f[0], f[1], f[2]})
		}
	}
	return out, nil
}

func readString(file string) string {
	b, _ := os.ReadFile(file)
	return string(b)
}

func fileName(pkg string) string { return strings.ReplaceAll(pkg, "/", "_") }

// test2json converts a test binary's -test.v=test2json output into events.
func test2json(pkg string, raw []byte) ([]event, error) {
	cmd := exec.Command("go", "tool", "test2json", "-p", pkg)
	cmd.Stdin = strings.NewReader(string(raw))
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		return nil, fmt.Errorf("go tool test2json: %v", err)
	}
	return parseEvents(out), nil
}

func parseEvents(b []byte) []event {
	var evs []event
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			evs = append(evs, e)
		}
	}
	return evs
}

func readColumn(dir, name string, pkgs []pkgInfo, tail int, conv func(string, []byte) ([]event, error)) (*Column, error) {
	c := &Column{Name: name, Meta: map[string]string{}, Packages: map[string]*Pkg{}}
	for _, l := range strings.Split(readString(filepath.Join(dir, "meta")), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			c.Meta[k] = v
		}
	}
	c.Kernel = c.Meta["kver"]
	c.Status = c.Meta["status"]
	if c.Status == "" {
		c.Status = "not run"
	}
	c.Completed = c.Status == "completed"
	c.BootS, _ = strconv.Atoi(c.Meta["boot_s"])
	c.RunS, _ = strconv.Atoi(c.Meta["run_s"])
	c.TotalS, _ = strconv.Atoi(c.Meta["total_s"])
	for _, p := range pkgs {
		base := filepath.Join(dir, "pkgs", fileName(p.path))
		raw, rerr := os.ReadFile(base + ".out")
		rc := strings.Fields(readString(base + ".rc"))
		pk := &Pkg{Exit: -1}
		c.Packages[p.path] = pk
		if rerr != nil {
			pk.Note = "not run"
			continue
		}
		if len(rc) == 2 {
			pk.Exit, _ = strconv.Atoi(rc[0])
			pk.Seconds, _ = strconv.Atoi(rc[1])
		}
		evs, err := conv(p.path, raw)
		if err != nil {
			return nil, err
		}
		skipped, failed := summarize(p.path, evs, pk, tail)
		c.Skipped = append(c.Skipped, skipped...)
		c.Failed = append(c.Failed, failed...)
		if pk.Exit != 0 && len(failed) == 0 {
			// The binary failed outside any test, or never finished.
			why := "exit " + strconv.Itoa(pk.Exit)
			if pk.Exit == -1 {
				why = "did not finish (the guest stopped while it ran)"
				pk.Note = "unfinished"
			}
			c.Failed = append(c.Failed, Test{p.path, "(package)", why + "\n" + lastLines(cleanConsole(string(raw)), tail)})
			pk.Fail++
		}
	}
	if !c.Completed && name != "host" {
		c.Console = lastLines(cleanConsole(readString(filepath.Join(dir, "console.log"))), 40)
	}
	return c, nil
}

// summarize counts tests into pk — those without subtests, and a test that
// failed with no failed subtest — and returns every skipped test (any depth)
// and every failed test that has no failed subtest.
func summarize(pkg string, evs []event, pk *Pkg, tail int) (skipped, failed []Test) {
	out := map[string]*strings.Builder{}
	failedChild := map[string]bool{}
	type res struct{ test, action string }
	var order []res
	for _, e := range evs {
		if e.Test == "" {
			continue
		}
		switch e.Action {
		case "output":
			b := out[e.Test]
			if b == nil {
				b = &strings.Builder{}
				out[e.Test] = b
			}
			b.WriteString(e.Output)
		case "pass", "fail", "skip":
			order = append(order, res{e.Test, e.Action})
			if e.Action == "fail" {
				for t := e.Test; strings.Contains(t, "/"); {
					t = t[:strings.LastIndex(t, "/")]
					failedChild[t] = true
				}
			}
		}
	}
	hasChild := map[string]bool{}
	for _, r := range order {
		if i := strings.LastIndex(r.test, "/"); i >= 0 {
			hasChild[r.test[:i]] = true
		}
	}
	for _, r := range order {
		switch r.action {
		case "pass":
			if !hasChild[r.test] {
				pk.Pass++
			}
		case "fail":
			if !failedChild[r.test] {
				pk.Fail++
				failed = append(failed, Test{pkg, r.test, headTail(dropResult(testText(out[r.test])), tail)})
			}
		case "skip":
			if !hasChild[r.test] {
				pk.Skip++
			}
			skipped = append(skipped, Test{pkg, r.test, skipMessage(testText(out[r.test]))})
		}
	}
	return skipped, failed
}

// testText is a test's own output without the framing lines test2json keeps.
func testText(b *strings.Builder) string {
	if b == nil {
		return ""
	}
	var keep []string
	for _, l := range strings.Split(b.String(), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== RUN") || strings.HasPrefix(t, "=== PAUSE") ||
			strings.HasPrefix(t, "=== CONT") || strings.HasPrefix(t, "=== NAME") {
			continue
		}
		keep = append(keep, strings.TrimRight(l, " \t"))
	}
	return strings.Join(keep, "\n")
}

// dropResult removes the "--- FAIL: T (…)" lines.
func dropResult(text string) string {
	var keep []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--- FAIL") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func skipMessage(text string) string {
	var msg []string
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		msg = append(msg, t)
	}
	return strings.Join(msg, " | ")
}

// lastLines keeps the last n lines of s; for a failed test's output,
// headTail keeps the first lines too (the error before a long log).
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[… %d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

func headTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	head := n / 4
	if len(lines) <= n || head == 0 {
		return strings.Join(lines, "\n")
	}
	out := append([]string(nil), lines[:head]...)
	out = append(out, fmt.Sprintf("[… %d lines …]", len(lines)-n))
	return strings.Join(append(out, lines[len(lines)-(n-head):]...), "\n")
}

// cleanConsole drops carriage returns and terminal escape sequences that a
// serial console carries.
func cleanConsole(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\r':
		case ch == 0x1b:
			// CSI: ESC [ params final-byte; other escapes: ESC + one byte.
			if i+1 < len(s) && s[i+1] == '[' {
				j := i + 2
				for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
					j++
				}
				i = j
			} else {
				i++
			}
		case ch < 0x20 && ch != '\n' && ch != '\t':
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

func (r *Report) ok() bool {
	for _, c := range r.Columns {
		if !c.Completed || len(c.Failed) > 0 {
			return false
		}
	}
	return true
}

func short(pkg string) string {
	return strings.TrimPrefix(strings.TrimPrefix(pkg, "github.com/bpfgen/bpfgen"), "/")
}

// Write prints the table, the timings, the skipped and the failed tests.
func (r *Report) Write(w io.Writer, pkgs []pkgInfo) {
	fmt.Fprintf(w, "bpfgen test matrix (%s)\n", r.Revision)
	fmt.Fprintf(w, "tests passed/failed/skipped per package (counting subtests, not their parents)\n\n")
	rows := [][]string{{"package"}}
	for _, c := range r.Columns {
		rows[0] = append(rows[0], c.Name)
	}
	tot := make([]Pkg, len(r.Columns))
	for _, p := range pkgs {
		row := []string{short(p.path)}
		if row[0] == "" {
			row[0] = "."
		}
		for i, c := range r.Columns {
			pk := c.Packages[p.path]
			cell := fmt.Sprintf("%d/%d/%d", pk.Pass, pk.Fail, pk.Skip)
			if pk.Note != "" {
				cell += " (" + pk.Note + ")"
			} else if pk.Exit != 0 && pk.Fail == 0 {
				cell += " (exit " + strconv.Itoa(pk.Exit) + ")"
			}
			tot[i].Pass += pk.Pass
			tot[i].Fail += pk.Fail
			tot[i].Skip += pk.Skip
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	row := []string{"total"}
	for i := range r.Columns {
		row = append(row, fmt.Sprintf("%d/%d/%d", tot[i].Pass, tot[i].Fail, tot[i].Skip))
	}
	rows = append(rows, row)
	row = []string{"kernel"}
	for _, c := range r.Columns {
		row = append(row, c.Kernel)
	}
	rows = append(rows, row)
	row = []string{"boot+run (s)"}
	for _, c := range r.Columns {
		row = append(row, fmt.Sprintf("%d+%d", c.BootS, c.RunS))
	}
	rows = append(rows, row)
	row = []string{"status"}
	for _, c := range r.Columns {
		row = append(row, c.Status)
	}
	rows = append(rows, row)
	writeTable(w, rows)

	for _, c := range r.Columns {
		if c.Console != "" {
			fmt.Fprintf(w, "\n## %s: %s; console tail (%s)\n%s\n", c.Name, c.Status, c.Kernel, indent(c.Console))
		}
	}
	fmt.Fprintf(w, "\n# Skipped tests\n")
	for _, c := range r.Columns {
		fmt.Fprintf(w, "\n## %s (%s): %d skipped\n", c.Name, c.Kernel, len(c.Skipped))
		for _, t := range sorted(c.Skipped) {
			fmt.Fprintf(w, "- %s %s: %s\n", short(t.Package), t.Test, t.Message)
		}
	}
	fmt.Fprintf(w, "\n# Failed tests\n")
	for _, c := range r.Columns {
		fmt.Fprintf(w, "\n## %s (%s): %d failed\n", c.Name, c.Kernel, len(c.Failed))
		for _, t := range sorted(c.Failed) {
			fmt.Fprintf(w, "- %s %s\n%s\n", short(t.Package), t.Test, indent(t.Message))
		}
	}
	fmt.Fprintln(w)
	if r.OK {
		fmt.Fprintln(w, "matrix: every test passed or skipped on every kernel")
	} else {
		fmt.Fprintln(w, "matrix: FAILED")
	}
}

func sorted(ts []Test) []Test {
	out := append([]Test(nil), ts...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Package != out[j].Package {
			return out[i].Package < out[j].Package
		}
		return out[i].Test < out[j].Test
	})
	return out
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

func writeTable(w io.Writer, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			if len(c) > width[i] {
				width[i] = len(c)
			}
		}
	}
	for n, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString(" | ")
			}
			fmt.Fprintf(&b, "%-*s", width[i], c)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if n == 0 {
			var sep []string
			for _, x := range width {
				sep = append(sep, strings.Repeat("-", x))
			}
			fmt.Fprintln(w, strings.Join(sep, "-|-"))
		}
	}
}
