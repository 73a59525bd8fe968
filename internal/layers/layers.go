// Package layers states which of bpfgen's packages may import which, in
// one table (rules.go), and checks the module against it. The check is
// this package's test, so `go test ./...` and `make test` run it; `make
// layers` runs it alone.
package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
)

// Module is the import path of the module the rules are about.
const Module = "github.com/bpfgen/bpfgen"

// Words in Rule.May that are not package paths.
const (
	Std = "std" // any standard library package (less Rule.NotStd)
	Any = "*"   // anything
)

// Rule says what a package may import in its non-test code.
type Rule struct {
	Pkg       string   // the package, or "x/..." for x and everything under it
	May       []string // what it may import: Std, Any, module packages, other modules' packages
	NotStd    []string // standard packages it must not import even so
	NotLinked []string // packages that must not be among its dependencies at all, through any import
	Why       string   // the reason, quoted in violations
}

// Ban refuses an import to every package, whatever Rules say.
type Ban struct {
	Import string   // the refused package or tree
	Except []string // importers the ban does not apply to
	Why    string
}

// Violation is a package importing (or linking) what it must not; a
// package without a rule has an empty Imports.
type Violation struct {
	Pkg     string // module-relative
	Imports string // module-relative for the module's packages, else the import path
}

// Finding is a Violation and its explanation.
type Finding struct {
	Violation
	Msg string
}

// Graph is the import graph of the module's packages and everything they
// depend on, test imports left out.
type Graph struct {
	Pkgs  map[string]Package // by import path
	Roots []string           // the module's packages, which are checked
}

// Package is one node of a Graph.
type Package struct {
	Imports  []string // import paths
	Standard bool
}

// LoadGraph asks `go list` for the graph of the packages in the module at
// dir.
func LoadGraph(dir string) (*Graph, error) {
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,Standard,DepOnly", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list in %s: %w: %s", dir, err, stderr.Bytes())
	}
	g := &Graph{Pkgs: map[string]Package{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
			Standard   bool
			DepOnly    bool
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decoding go list output: %w", err)
		}
		g.Pkgs[p.ImportPath] = Package{Imports: p.Imports, Standard: p.Standard}
		if !p.DepOnly {
			g.Roots = append(g.Roots, p.ImportPath)
		}
	}
	return g, nil
}

// Check returns the violations of rules and bans in g, sorted.
func Check(g *Graph, rules []Rule, bans []Ban) []Finding {
	var out []Finding
	seen := map[Violation]bool{}
	add := func(v Violation, msg string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, Finding{v, msg})
		}
	}
	for _, root := range g.Roots {
		pkg := rel(root)
		r, ok := ruleFor(rules, pkg)
		if !ok {
			add(Violation{Pkg: pkg}, pkg+" has no rule: add it to Rules in internal/layers/rules.go")
		}
		for _, path := range g.Pkgs[root].Imports {
			imp := rel(path)
			for _, b := range bans {
				if match(b.Import, imp) && !matchAny(b.Except, pkg) {
					add(Violation{pkg, imp}, pkg+" imports "+imp+": "+b.describe())
				}
			}
			if ok && !r.allows(g.isStd(path), imp) {
				add(Violation{pkg, imp}, fmt.Sprintf("%s imports %s: %s may import only %s (%s)", pkg, imp, pkg, r.describe(), r.Why))
			}
		}
		for _, chain := range g.linked(root, r.NotLinked) {
			dep := rel(chain[len(chain)-1])
			for i := range chain {
				chain[i] = rel(chain[i])
			}
			add(Violation{pkg, dep}, fmt.Sprintf("%s links %s (%s): %s must not depend on %s (%s)",
				pkg, dep, strings.Join(chain, " -> "), pkg, strings.Join(r.NotLinked, ", "), r.Why))
		}
	}
	slices.SortFunc(out, func(a, b Finding) int {
		return strings.Compare(a.Pkg+"\x00"+a.Imports, b.Pkg+"\x00"+b.Imports)
	})
	return out
}

// SplitPending separates the findings that pending lists (tolerated) from
// the others (open), and returns the pending violations no longer found
// (gone).
func SplitPending(found []Finding, pending []Violation) (open, tolerated []Finding, gone []Violation) {
	for _, f := range found {
		if slices.Contains(pending, f.Violation) {
			tolerated = append(tolerated, f)
		} else {
			open = append(open, f)
		}
	}
	for _, p := range pending {
		if !slices.ContainsFunc(found, func(f Finding) bool { return f.Violation == p }) {
			gone = append(gone, p)
		}
	}
	return open, tolerated, gone
}

// Unmatched returns the rules' packages that are not in g: rules may be
// written ahead of the package they govern.
func Unmatched(g *Graph, rules []Rule) []string {
	var out []string
	for _, r := range rules {
		if !slices.ContainsFunc(g.Roots, func(root string) bool { return match(r.Pkg, rel(root)) }) {
			out = append(out, r.Pkg)
		}
	}
	return out
}

// ruleFor returns the rule for pkg: an exact one, else the one with the
// longest matching tree.
func ruleFor(rules []Rule, pkg string) (Rule, bool) {
	best, found := Rule{}, false
	for _, r := range rules {
		if r.Pkg == pkg {
			return r, true
		}
		if match(r.Pkg, pkg) && (!found || len(r.Pkg) > len(best.Pkg)) {
			best, found = r, true
		}
	}
	return best, found
}

// allows reports whether r lets its package import imp.
func (r Rule) allows(std bool, imp string) bool {
	if slices.Contains(r.May, Any) {
		return true
	}
	if std {
		return slices.Contains(r.May, Std) && !matchAny(r.NotStd, imp)
	}
	return matchAny(r.May, imp)
}

// describe lists what r allows, in words.
func (r Rule) describe() string {
	var parts []string
	for _, m := range r.May {
		switch {
		case m == Std && len(r.NotStd) > 0:
			parts = append(parts, "the standard library except "+strings.Join(r.NotStd, ", "))
		case m == Std:
			parts = append(parts, "the standard library")
		default:
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, ", ")
}

func (b Ban) describe() string {
	if len(b.Except) == 0 {
		return "nothing may import " + b.Import + " (" + b.Why + ")"
	}
	return "only " + strings.Join(b.Except, ", ") + " may import " + b.Import + " (" + b.Why + ")"
}

// linked returns, for each dependency of root matching patterns, the
// shortest import chain from root to it.
func (g *Graph) linked(root string, patterns []string) [][]string {
	if len(patterns) == 0 {
		return nil
	}
	parent := map[string]string{root: ""}
	queue := []string{root}
	var out [][]string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range g.Pkgs[p].Imports {
			if _, ok := parent[imp]; ok {
				continue
			}
			parent[imp] = p
			queue = append(queue, imp)
			if matchAny(patterns, rel(imp)) {
				var chain []string
				for q := imp; q != ""; q = parent[q] {
					chain = append(chain, q)
				}
				slices.Reverse(chain)
				out = append(out, chain)
			}
		}
	}
	return out
}

// isStd reports whether path is a standard library package; go list says,
// and for a path it did not list the first element lacks a dot.
func (g *Graph) isStd(path string) bool {
	if p, ok := g.Pkgs[path]; ok {
		return p.Standard
	}
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// rel returns path relative to the module, or path itself if it is not
// the module's.
func rel(path string) string {
	if r, ok := strings.CutPrefix(path, Module+"/"); ok {
		return r
	}
	return path
}

// match reports whether pattern ("x" or "x/...") covers path.
func match(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, path) })
}
