package main

import (
	"fmt"
	"strings"
)

// explanations says why bpfgen is behind where it is, and what would
// close each gap, with this run's figures.
func explanations(rep *report) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	med := func(obj, key string) (float64, bool) {
		r := rep.result(obj, key)
		if !r.ok() {
			return 0, false
		}
		return r.median(), true
	}

	p("### Why, and what would close the gap\n\n")

	// 1. The light skeleton's own cost: the loader program.
	p("**The light skeleton pays for its loader program.** A light skeleton (bpfgen's or libbpf's) issues the same `bpf(2)` calls as a direct load, " +
		"but from a loader program that first has to be created and verified. That setup is the *loader overhead* column above:\n\n")
	for _, o := range rep.cfg.objects {
		s, ok1 := med(o.Name, "skel")
		f, ok2 := med(o.Name, "floor")
		ov, ok3 := med(o.Name, "overhead")
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		insns := 0
		if ls := rep.sizes[o.Name]; ls != nil {
			insns = ls.insns
		}
		p("- `%s`: skeleton %s, floor %s, so %s above the floor; the loader overhead (blob map + verifying a %d-instruction loader) is %s of it (measured in its own process, so the two can differ by the noise of a round).",
			o.Name, fmtMS(s), fmtMS(f), fmtMS(s-f), insns, fmtMS(ov))
		if rest := s - f - ov; rest > 1 {
			p(" The other %s is spent while the loader runs, which this harness does not break down further.", fmtMS(rest))
			if o.Name == "mapinmap" {
				p(" Most of this object's time, in every loader, is the kernel waiting for an RCU grace period after each map-in-map slot update (`synchronize_rcu`, about 8 ms each here: measured by failing the loader after each step); bpfgen's loader makes the same updates through `bpf_sys_bpf`, and the difference to the direct loaders is within the spread of those waits.")
			}
		}
		p("\n")
	}
	p("\nOn small objects this fixed cost dominates, which is why the direct loaders (bpfgen direct, libbpf's regular skeleton, cilium/ebpf) beat both light skeletons there " +
		"when they need no kernel BTF. The rest of the excess is the loader's run (each call goes through `bpf_sys_bpf` with its fd fix-ups) " +
		"and the skeleton's `init`, which maps each global-data section. **What would close it:** fewer loader instructions, since verifying and " +
		"JIT-compiling the loader grows with them (about 0.6 µs an instruction here): a table-driven loader — one small loop, run through " +
		"`bpf_loop`, that reads each call's attr, fd fix-ups and checks from the blob instead of instructions emitted per call — would be " +
		"verified once whatever the object's size; and, for a program that loads the same object repeatedly, keeping the loader program loaded.\n\n")

	// 2. bpfgen's light skeleton against libbpf's.
	var vsL []string
	for _, o := range rep.cfg.objects {
		s, ok1 := med(o.Name, "skel")
		l, ok2 := med(o.Name, "libbpf-lskel")
		ls := rep.sizes[o.Name]
		if !ok1 || !ok2 || ls == nil || ls.libbpfInsns == 0 {
			continue
		}
		vsL = append(vsL, fmt.Sprintf("`%s` %.2f× (loader %d vs %d instructions)", o.Name, s/l, ls.insns, ls.libbpfInsns))
	}
	if len(vsL) > 0 {
		p("**Against libbpf's light skeleton** (bpfgen time / libbpf time): %s. Where the two loaders have similar instruction counts the times track each other; "+
			"bpfgen's Go side adds the mmap of each global-data section in `init` (libbpf's C skeleton maps them too). "+
			"libbpf's loader cannot take `many`, `mapinmap` or `large_500` at all (see *not supported*).", strings.Join(vsL, ", "))
		if s, ok := med("ksyms", "skel"); ok {
			if l, ok := med("ksyms", "libbpf-lskel"); ok && s > l {
				p(" On `ksyms` bpfgen's loader does more work in the kernel: it resolves the typeless ksym and the missing weak one with "+
					"`bpf_kallsyms_lookup_name` and each kfunc, the missing weak one included, with `bpf_btf_find_by_name_kind` (a linear scan of the kernel's BTF "+
					"for a name that is absent), where libbpf 1.1's loader writes address 0 for a typeless ksym without looking it up (a libbpf 1.1 bug: "+
					"the program then sees the wrong address; see `gen/libbpf_test.go`); those look-ups are the likely cause of the %s difference (not measured apart). "+
					"**What would close it:** skip the in-kernel look-up of a weak kfunc that the generating machine's BTF lacks only if the user opts in "+
					"(it would not be portable), or cache look-ups of the same name within one loader run.", fmtMS(s-l))
			}
		}
		p("\n\n")
	}

	// 3. The direct load's Go side.
	var direct []string
	for _, o := range rep.cfg.objects {
		d, ok1 := med(o.Name, "direct")
		f, ok2 := med(o.Name, "floor")
		if !ok1 || !ok2 {
			continue
		}
		direct = append(direct, fmt.Sprintf("`%s` +%s", o.Name, fmtMS(d-f)))
	}
	if len(direct) > 0 {
		p("**The direct load's user-space work** (direct − floor): %s. Per load it parses the ELF, marshals the object's BTF and links the programs "+
			"(`object.OpenBytes`, `load.Load`). ", strings.Join(direct, ", "))
		if d, ok := med("ksyms", "direct"); ok {
			l, _ := med("ksyms", "skel")
			p("On `ksyms` it is %s against the light skeleton's %s: like the light skeleton, the direct load asks the kernel itself, "+
				"through one short syscall program calling `bpf_kallsyms_lookup_name` and `bpf_btf_find_by_name_kind` (`load/kallsyms.go`), "+
				"instead of parsing the kernel's BTF and reading `/proc/kallsyms` (what costs libbpf's regular skeleton its tens of milliseconds here). "+
				"Types found in vmlinux are remembered for the process, so what remains above the floor is the look-up program itself and the kernel's "+
				"linear scan of its BTF for the weak kfunc that does not exist (a miss is looked up again on every load, since a module loaded meanwhile "+
				"could provide it). **What would close it:** remembering misses too, with a way to forget them when modules come and go.\n\n", fmtMS(d), fmtMS(l))
		} else {
			p("\n\n")
		}
	}

	for _, o := range rep.cfg.objects {
		r, ok1 := med(o.Name, "libbpf-skel")
		f, ok2 := med(o.Name, "floor")
		d, ok3 := med(o.Name, "direct")
		if ok1 && ok2 && ok3 && r < f {
			p("On `%s` libbpf's regular skeleton (%s) is faster than the floor (%s) and than bpfgen's direct load (%s, %.2f×): the floor is timed around the direct backend's calls, "+
				"so it includes the Go work inside them (copying the instructions, applying fix-ups, encoding func_info and line_info for every program), "+
				"and libbpf issues the same system calls with less work around them. "+
				"**What would close it:** profiling `load.Direct.LoadProgram` and doing once per object what it now does per program.\n\n",
				o.Name, fmtMS(r), fmtMS(f), fmtMS(d), d/r)
		}
	}

	// 4. cilium/ebpf and libbpf's regular skeleton on CO-RE.
	if c, ok := med("core", "cilium"); ok {
		s, _ := med("core", "skel")
		r, _ := med("core", "libbpf-skel")
		p("**CO-RE** is where the light skeleton wins most: on `core` cilium/ebpf takes %s and libbpf's regular skeleton %s, against %s, "+
			"because both relocate in user space against the kernel's BTF, which they load and parse on every load; bpfgen (direct and skeleton) hands the CO-RE records to the kernel "+
			"(`core_relos` in `BPF_PROG_LOAD`) instead.\n\n", fmtMS(c), fmtMS(r), fmtMS(s))
	}

	// 5. Generation.
	if g := rep.gen["minimal"]; g != nil && g["bpfgen-skeleton"] != nil && g["bpftool-L"] != nil && g["bpftool-L"].err == "" {
		p("**Generation.** On `minimal` `bpfgen loader` takes %s, `bpfgen skeleton` %s and `bpftool gen skeleton -L` %s: a Go process starts slower than a C one "+
			"(about 1 ms) and the skeleton generator also turns the object's BTF into Go types and runs `go/format` over the whole file. ",
			fmtMS(g["bpfgen-loader"].median), fmtMS(g["bpfgen-skeleton"].median), fmtMS(g["bpftool-L"].median))
		small, big := fmt.Sprintf("large_%d", rep.cfg.growth[0]), fmt.Sprintf("large_%d", rep.cfg.growth[len(rep.cfg.growth)-1])
		gs, gb := rep.gen[small], rep.gen[big]
		if len(rep.cfg.growth) > 1 && gs != nil && gb != nil && gs["bpfgen-skeleton"] != nil && gb["bpfgen-skeleton"] != nil && gs["bpfgen-skeleton"].err == "" && gb["bpfgen-skeleton"].err == "" {
			ns, nb := float64(rep.cfg.growth[0]), float64(rep.cfg.growth[len(rep.cfg.growth)-1])
			ts, tb := gs["bpfgen-skeleton"].median, gb["bpfgen-skeleton"].median
			ls, lb := gs["bpfgen-loader"].median, gb["bpfgen-loader"].median
			if tb/ts > 3*nb/ns {
				p("The loader generator grows with the object (%s for %g programs, %s for %g), but **`bpfgen skeleton` grows much faster than linearly**: %s → %s (%.0f× for %.0f× the programs). "+
					"Profile it (`go tool pprof`) on the largest object: the last time this happened the cause was `go/format` walking the long `\"...\" + \"...\"` "+
					"chain of the blob literal (`go/printer.walkBinary`); keeping the blob out of `go/format` fixed it.\n\n",
					fmtMS(ls), ns, fmtMS(lb), nb, fmtMS(ts), fmtMS(tb), tb/ts, nb/ns)
			} else {
				p("Both bpfgen generators grow about linearly with the object: the loader from %s (%g programs) to %s (%g), the skeleton from %s to %s. "+
					"(An earlier skeleton generator grew quadratically, 6.3 s for 500 programs, because `go/format` walked the blob literal's long `+` chain; "+
					"it now inserts the blob after formatting.) What remains is the Go process start and the Go types generated from BTF; bpftool is C and does less "+
					"(no types: its header uses the object's own C types). **What would close it:** little is left to win where it matters (generation runs once per build); "+
					"bpftool cannot generate the large objects at all.\n\n",
					fmtMS(ls), ns, fmtMS(lb), nb, fmtMS(ts), fmtMS(tb))
			}
		} else {
			p("\n\n")
		}
	}

	// 6. Size and memory.
	var hello, skel, cil, clskel int64
	for _, bs := range rep.bins {
		switch bs.key {
		case "hello":
			hello = bs.bytes
		case "skel":
			skel = bs.bytes
		case "cilium":
			cil = bs.bytes
		case "c-lskel":
			clskel = bs.bytes
		}
	}
	if hello > 0 && skel > 0 {
		p("**Size.** The Go light skeleton adds %s to a `fmt` hello world (the runtime `lskel`, `kernel` and the parts of `x/sys/unix` it uses; DESIGN's budget is 100 KB); "+
			"cilium/ebpf adds %s. The C light skeleton is %s in all because it has no language runtime: "+
			"the gap to C is the Go runtime itself (%s for hello world), not the skeleton.\n\n",
			fmtBytes(skel-hello), fmtBytes(cil-hello), fmtBytes(clskel), fmtBytes(hello))
	}
	var memHello, memSkel, memC int64
	for _, m := range rep.mem {
		switch m.key {
		case "hello":
			memHello = m.kb
		case "skel":
			memSkel = m.kb
		case "libbpf-lskel":
			memC = m.kb
		}
	}
	for _, m := range rep.mem {
		if m.key == "skel" && m.err == "" && len(m.minusHello) > 0 {
			p("**Whole process.** A Go program that loads `core` through its light skeleton and exits takes %s (pairwise median) longer than a Go hello world: "+
				"the loader's run and the skeleton's `init` (see the load tables), and page-faulting the embedded loader; nothing of `lskel` runs at package init.\n\n",
				fmtSignedMS(medianFloat(m.minusHello)))
		}
	}
	if memHello > 0 && memSkel > 0 && memC > 0 {
		p("**Memory.** Loading `core` with the Go light skeleton peaks %.1f MiB above a Go hello world (%.1f MiB); the C light skeleton's whole process peaks at %.1f MiB. "+
			"The difference is again the Go runtime's baseline (heap arenas, goroutine stacks), which bpfgen cannot remove.\n\n",
			float64(memSkel-memHello)/1024, float64(memHello)/1024, float64(memC)/1024)
	}
	return b.String()
}
