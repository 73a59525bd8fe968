package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
)

// TestReadmeFiveMinutes follows the README's "Five minutes from an empty
// module" as written: its hello.c and main.go, taken from the README, in
// a fresh module with bpfgen as a tool; go generate, go build, and the
// program prints at least its own 5 getpid calls.
func TestReadmeFiveMinutes(t *testing.T) {
	testutil.RequireClang(t)
	testutil.RequireLoaders(t)
	testutil.RequireTracefs(t)
	readme := readFile(t, filepath.Join(testutil.Root(), "README.md"))
	start := strings.Index(readme, "## Five minutes from an empty module")
	if start < 0 {
		t.Fatal("README.md has no \"Five minutes from an empty module\" section")
	}
	section := readme[start:]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	block := func(after, lang string) string {
		t.Helper()
		i := strings.Index(section, after)
		if i < 0 {
			t.Fatalf("the section has no %q", after)
		}
		rest := section[i:]
		open := strings.Index(rest, "```"+lang+"\n")
		if open < 0 {
			t.Fatalf("no ```%s block after %q", lang, after)
		}
		rest = rest[open+len("```"+lang+"\n"):]
		return rest[:strings.Index(rest, "```\n")]
	}
	dir := t.TempDir()
	newToolModule(t, dir)
	writeFile(t, filepath.Join(dir, "hello.c"), []byte(block("`hello.c`", "c")))
	writeFile(t, filepath.Join(dir, "main.go"), []byte(block("`main.go`", "go")))
	goCmd(t, dir, nil, "generate")
	bin := filepath.Join(dir, "hello")
	goCmd(t, dir, nil, "build", "-o", bin, ".")
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("hello: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`^getpid calls: (\d+)\n$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("hello printed %q; want \"getpid calls: N\"", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 5 {
		t.Errorf("hello counted %d getpid calls; it made 5", n)
	}
}
