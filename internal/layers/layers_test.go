package layers

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestModule checks the module's packages against Rules, Bans and Pending.
func TestModule(t *testing.T) {
	g, err := LoadGraph(moduleDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Roots) == 0 {
		t.Fatal("go list found no packages")
	}
	open, tolerated, gone := SplitPending(Check(g, Rules, Bans), Pending)
	for _, f := range open {
		t.Error(f.Msg)
	}
	for _, v := range gone {
		t.Errorf("Pending lists %s importing %s, which no longer happens: remove it from Pending in rules.go", v.Pkg, v.Imports)
	}
	for _, f := range tolerated {
		t.Logf("pending: %s", f.Msg)
	}
	for _, pkg := range Unmatched(g, Rules) {
		t.Logf("the rule for %s matches no package yet", pkg)
	}
}

// TestRulesWellFormed catches typos: every module package a rule names must
// be governed by a rule itself, and no package has two rules.
func TestRulesWellFormed(t *testing.T) {
	pkgs := map[string]bool{}
	for _, r := range Rules {
		if pkgs[r.Pkg] {
			t.Errorf("two rules for %s", r.Pkg)
		}
		pkgs[r.Pkg] = true
		if r.Why == "" {
			t.Errorf("the rule for %s gives no reason", r.Pkg)
		}
	}
	known := func(p string) bool {
		_, ok := ruleFor(Rules, p)
		return ok
	}
	for _, r := range Rules {
		for _, m := range r.May {
			isModule := m != Std && m != Any && !strings.Contains(m, ".")
			if isModule && !known(m) {
				t.Errorf("the rule for %s allows %s, which no rule governs", r.Pkg, m)
			}
		}
	}
	for _, v := range Pending {
		if !known(v.Pkg) || !known(v.Imports) {
			t.Errorf("pending %s -> %s names a package no rule governs", v.Pkg, v.Imports)
		}
	}
}

// TestCheck runs Check on small made-up graphs.
func TestCheck(t *testing.T) {
	rules := []Rule{
		{Pkg: "base", May: []string{Std}, Why: "base"},
		{Pkg: "mid", May: []string{Std, "base", unix}, Why: "mid"},
		{Pkg: "rt", May: []string{Std, "base"}, NotStd: []string{"fmt", "text/..."}, NotLinked: []string{"fmt"}, Why: "small"},
		{Pkg: "tools/...", May: []string{Any}, Why: "tools"},
		{Pkg: "tools/strict", May: []string{Std}, Why: "strict"},
		{Pkg: "internal/...", May: []string{Any}, Why: "helpers"},
		{Pkg: "future", May: []string{Std}, Why: "not written yet"},
	}
	bans := []Ban{{Import: "internal/...", Except: []string{"internal/...", "tools/..."}, Why: "helpers"}}
	m := func(p string) string { return Module + "/" + p }
	for _, tc := range []struct {
		name    string
		pkg     string   // module-relative
		imports []string // import paths; module ones module-relative
		extra   map[string][]string
		want    []string // messages, each matched as a substring
	}{
		{name: "allowed", pkg: "mid", imports: []string{"fmt", "base", unix}},
		{name: "module package not allowed", pkg: "base", imports: []string{"mid"},
			want: []string{"base imports mid: base may import only the standard library (base)"}},
		{name: "other module not allowed", pkg: "base", imports: []string{unix},
			want: []string{"base imports golang.org/x/sys/unix: base may import only the standard library (base)"}},
		{name: "refused standard package", pkg: "rt", imports: []string{"text/template"},
			want: []string{"rt imports text/template: rt may import only the standard library except fmt, text/..., base (small)"}},
		{name: "linked through another package", pkg: "rt", imports: []string{"base"}, extra: map[string][]string{"base": {"fmt"}},
			want: []string{"rt links fmt (rt -> base -> fmt): rt must not depend on fmt (small)"}},
		{name: "no rule", pkg: "stray", imports: []string{"fmt"},
			want: []string{"stray has no rule: add it to Rules"}},
		{name: "no rule, banned import", pkg: "stray", imports: []string{"internal/help"},
			want: []string{"stray has no rule", "stray imports internal/help: only internal/..., tools/..."}},
		{name: "exact rule beats tree", pkg: "tools/strict", imports: []string{"base"},
			want: []string{"tools/strict imports base: tools/strict may import only the standard library (strict)"}},
		{name: "tree rule", pkg: "tools/x/y", imports: []string{"base", "internal/help"}},
		{name: "banned", pkg: "mid", imports: []string{"internal/help"},
			// One finding per import, though the rule refuses it too.
			want: []string{"mid imports internal/help: only internal/..., tools/... may import internal/... (helpers)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full := func(list []string) []string {
				var out []string
				for _, p := range list {
					if isModulePath(p) {
						p = m(p)
					}
					out = append(out, p)
				}
				return out
			}
			g := &Graph{Pkgs: map[string]Package{}, Roots: []string{m(tc.pkg)}}
			g.Pkgs[m(tc.pkg)] = Package{Imports: full(tc.imports)}
			for _, p := range []string{"fmt", "text/template"} {
				g.Pkgs[p] = Package{Standard: true}
			}
			for p, imps := range tc.extra {
				g.Pkgs[m(p)] = Package{Imports: full(imps)}
			}
			got := Check(g, rules, bans)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d: %q", len(got), len(tc.want), got)
			}
			for i, f := range got {
				if !strings.Contains(f.Msg, tc.want[i]) {
					t.Errorf("finding %d:\n got %s\nwant %s", i, f.Msg, tc.want[i])
				}
			}
		})
	}
}

// isModulePath tells the made-up module paths in TestCheck from standard
// and other modules' ones.
func isModulePath(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".") && !slices.Contains([]string{"fmt", "text"}, first)
}

func TestSplitPending(t *testing.T) {
	found := []Finding{{Violation{"a", "b"}, "a imports b"}, {Violation{"c", "d"}, "c imports d"}}
	pending := []Violation{{"a", "b"}, {"e", "f"}}
	open, tolerated, gone := SplitPending(found, pending)
	if len(open) != 1 || open[0].Pkg != "c" {
		t.Errorf("open = %v", open)
	}
	if len(tolerated) != 1 || tolerated[0].Pkg != "a" {
		t.Errorf("tolerated = %v", tolerated)
	}
	if len(gone) != 1 || gone[0] != (Violation{"e", "f"}) {
		t.Errorf("gone = %v", gone)
	}
}

// moduleDir returns the module's root directory.
func moduleDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		t.Fatal("not inside a module")
	}
	return filepath.Dir(gomod)
}
