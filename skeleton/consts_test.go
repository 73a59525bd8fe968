package skeleton

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/testutil"
)

// TestUnixNames compiles every entry of the tables of x/sys/unix names
// against x/sys/unix for Linux: each name must exist there with the value
// it is listed under (an out-of-range constant index does not compile).
func TestUnixNames(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	var b strings.Builder
	b.WriteString("package names\n\nimport \"golang.org/x/sys/unix\"\n\nvar _ = [...]int{\n")
	n := 0
	for _, tb := range []map[uint32]string{unixProgTypes, unixAttachTypes, unixMapTypes, unixMapFlags} {
		keys := make([]uint32, 0, len(tb))
		for v := range tb {
			keys = append(keys, v)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		for _, v := range keys {
			fmt.Fprintf(&b, "\t[1]int{}[unix.%s-%d],\n", tb[v], v)
			n++
		}
	}
	b.WriteString("}\n")
	mod := t.TempDir()
	gomod := "module names\n\ngo 1.26\n\nrequire github.com/bpfgen/bpfgen v0.0.0\n\nreplace github.com/bpfgen/bpfgen => " + repoRoot(t) + "\n"
	writeFile(t, filepath.Join(mod, "go.mod"), gomod)
	// The bpfgen requirement brings x/sys at go.mod's version.
	writeFile(t, filepath.Join(mod, "tools.go"), "package names\n\nimport _ \"github.com/bpfgen/bpfgen/lskel/abi\"\n")
	writeFile(t, filepath.Join(mod, "names.go"), b.String())
	cmd := exec.Command(testutil.GoTool(), "build", "./...")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%d x/sys/unix names checked: %v\n%s", n, err, out)
	}
}
