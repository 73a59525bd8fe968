package layers

// The rules. Paths are relative to the module (github.com/bpfgen/bpfgen)
// unless they name another module; "x/..." is x and every package under
// it. Every package of the module must match a rule.

// Rules says what each package may import in its non-test code. The most
// specific rule that matches a package applies: an exact path before the
// longest "x/..." one.
var Rules = []Rule{
	// The foundations: no bpfgen package below them.
	{Pkg: "asm", May: []string{Std}, Why: "instructions stand alone"},
	{Pkg: "btf", May: []string{Std}, Why: "raw BTF stands alone"},
	{Pkg: "lskel/abi", May: []string{Std}, Why: "the loader ABI is shared by the generator and the runtime, so it depends on neither"},
	{Pkg: "lskel/elfsym", May: []string{Std}, Why: "debug/elf costs a binary ~25 KB, so only programs that resolve uprobe symbols link it"},
	{Pkg: "kernel", May: []string{Std, unix}, Why: "the bpf(2) layer; the runtime links it, so it stays small"},
	{Pkg: "sign", May: []string{Std}, Why: "CMS signatures of loaders, made at generation: cryptography stands alone"},

	{Pkg: "cc", May: []string{Std}, Why: "the C compiler driver runs clang and llvm-strip; it knows nothing of BPF objects"},

	// The open phase and user-space CO-RE.
	{Pkg: "object", May: []string{Std, "asm", "btf", "lskel/abi"}, Why: "the open phase touches no kernel; a kconfig extern's value type is the loader ABI's, defined once"},
	{Pkg: "core", May: []string{Std, "asm", "btf"}, Why: "CO-RE relocation is computed from BTF alone"},
	{Pkg: "btf/cheader", May: []string{Std, "btf"}, Why: "a kernel's vmlinux.h is written from its BTF alone"},

	// The runtime that generated skeletons import.
	{
		Pkg: "lskel", May: []string{Std, "kernel", "lskel/abi", unix},
		NotStd:    []string{"fmt", "reflect", "debug/...", "go/...", "text/...", "html/...", "encoding/json", "compress/..."},
		NotLinked: []string{"fmt", "debug/...", "go/...", "text/...", "html/...", "encoding/json", "compress/..."},
		Why:       "every binary with a skeleton links the runtime, so it must stay small: DESIGN.md allows < 100 KB over a fmt hello world",
	},
	{Pkg: "lskel/usdt", May: []string{Std, "kernel", "lskel", "lskel/abi", "lskel/elfsym"}, Why: "USDT notes and argument specs need debug/elf, so only skeletons of objects with usdt programs link it, beside the runtime"},
	{Pkg: "kconfig", May: []string{Std, "kernel", "lskel/abi", unix}, Why: "skeletons with kconfig externs link it beside the runtime, not through it"},

	// The load phase and the loader generator.
	{Pkg: "load", May: []string{Std, "asm", "btf", "core", "kconfig", "kernel", "object", "lskel/abi", unix}, Why: "the load phase does not depend on the skeleton runtime"},
	{Pkg: "gen", May: []string{Std, "asm", "btf", "kernel", "load", "object", "kconfig", "lskel/abi", "sign", unix}, Why: "the generator writes loaders; it does not run them"},
	{Pkg: "skeleton", May: []string{Std, "btf", "gen", "object", "lskel/abi", "load", "kernel", unix}, Why: "Go source generation over the generator's output; it writes calls to the runtime but does not run it"},

	// Users of the library.
	{Pkg: "examples/...", May: []string{Std, "lskel", "lskel/abi", "lskel/elfsym", "kernel", unix}, Why: "examples show what a user of generated skeletons needs, nothing more (elfsym: a uprobe by symbol)"},
	{Pkg: "cmd/...", May: []string{Any}, Why: "the command line ties everything together"},
	{Pkg: "bench/...", May: []string{Any}, Why: "benchmarks compare with other libraries"},
	{Pkg: "internal/...", May: []string{Any}, Why: "test and tooling helpers"},
}

// Bans refuse imports to every package, whatever Rules say.
var Bans = []Ban{
	{Import: "internal/...", Except: []string{"internal/...", "cmd/...", "bench/..."}, Why: "internal packages are test and tooling helpers, not part of the library"},
	{Import: "cmd/...", Why: "commands are not libraries"},
	{Import: "sign", Except: []string{"gen", "skeleton", "cmd/...", "internal/..."}, Why: "signing happens at generation: the runtime (lskel, kernel) links no cryptography, and a skeleton carries its signatures as bytes"},
}

// Pending lists today's known violations, tolerated until the issue "One
// owner per fd, a runtime API a user can read, and the layers enforced"
// moves the code. The test fails when a listed violation is gone, so
// remove each entry with the change that fixes it; the list must end
// empty.
var Pending = []Violation{}

// unix is x/sys/unix, which most layers may import.
const unix = "golang.org/x/sys/unix"
