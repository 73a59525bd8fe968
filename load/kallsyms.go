package load

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/kernel"
)

const (
	helperBTFFindByNameKind  = kernel.BPF_FUNC_btf_find_by_name_kind
	helperKallsymsLookupName = kernel.BPF_FUNC_kallsyms_lookup_name
	progTypeSyscall          = kernel.BPF_PROG_TYPE_SYSCALL
	flagSleepable            = kernel.BPF_F_SLEEPABLE
	// maxHelperName is the longest name (with its NUL) the lookup program
	// copies onto its stack; longer names go through /proc/kallsyms.
	maxHelperName = 256
)

// lookupKallsyms resolves the addresses of kernel symbols. It asks the
// kernel through a one-off syscall program calling
// bpf_kallsyms_lookup_name — the helper loader programs use, so a direct
// load and a loader see the same symbols — which takes well under a
// millisecond where reading /proc/kallsyms takes tens. Where no such
// program loads, it reads /proc/kallsyms. Missing names are absent from
// the result.
func lookupKallsyms(names []string) (map[string]uint64, error) {
	var short, long []string
	for _, n := range names {
		if len(n)+1 <= maxHelperName {
			short = append(short, n)
		} else {
			long = append(long, n)
		}
	}
	found, err := kallsymsViaHelper(short)
	if err != nil {
		// No syscall programs here (old kernel, missing privilege):
		// every name goes through the file.
		long = names
		found = make(map[string]uint64)
	}
	if len(long) > 0 {
		syms, err := kernel.ReadKallsyms(long...)
		if err != nil {
			return nil, err
		}
		for n, a := range syms {
			found[n] = a
		}
	}
	return found, nil
}

// kallsymsViaHelper runs a syscall program that looks each name up and
// writes (status, address) pairs into its context.
func kallsymsViaHelper(names []string) (map[string]uint64, error) {
	found := make(map[string]uint64)
	if len(names) == 0 {
		return found, nil
	}
	lookups := make([]symbolLookup, len(names))
	for i, n := range names {
		lookups[i] = symbolLookup{name: n}
	}
	ctx, err := runLookups(lookups)
	if err != nil {
		return nil, err
	}
	for i, n := range names {
		status := int64(binary.NativeEndian.Uint64(ctx[16*i:]))
		addr := binary.NativeEndian.Uint64(ctx[16*i+8:])
		switch {
		case status == 0 && addr != 0:
			found[n] = addr
		case status == -int64(syscall.ENOENT):
		case status == -int64(syscall.EPERM) || status == 0:
			return nil, fmt.Errorf("ksym %s: %w", n, kernel.ErrKallsymsHidden)
		default:
			return nil, fmt.Errorf("ksym %s: bpf_kallsyms_lookup_name: %w", n, syscall.Errno(-status))
		}
	}
	return found, nil
}

// typeResult is what bpf_btf_find_by_name_kind says of one name: a BTF
// id, the fd of the module BTF that has it (0 for vmlinux, a new fd the
// caller owns otherwise), or that it is missing.
type typeResult struct {
	id    uint32
	objFD int
	err   error
}

// btfIDsViaHelper looks kernel types up by name and kind in vmlinux and
// module BTF with bpf_btf_find_by_name_kind, the helper loader programs
// use: the kernel searches its own BTF, so nothing is parsed here.
func btfIDsViaHelper(keys []typeKey) (map[typeKey]typeResult, error) {
	lookups := make([]symbolLookup, len(keys))
	for i, k := range keys {
		if len(k.name)+1 > maxHelperName {
			return nil, fmt.Errorf("%s: name too long for a helper lookup", k.name)
		}
		lookups[i] = symbolLookup(k)
	}
	ctx, err := runLookups(lookups)
	if err != nil {
		return nil, err
	}
	out := make(map[typeKey]typeResult, len(keys))
	for i, k := range keys {
		r := int64(binary.NativeEndian.Uint64(ctx[16*i:]))
		switch {
		case r >= 0:
			out[k] = typeResult{id: uint32(r), objFD: int(r >> 32)}
		case r == -int64(syscall.ENOENT):
			out[k] = typeResult{err: ErrNotInKernel}
		default:
			out[k] = typeResult{err: fmt.Errorf("bpf_btf_find_by_name_kind: %w", syscall.Errno(-r))}
		}
	}
	return out, nil
}

// typeKey names a kernel type to look up.
type typeKey struct {
	name string
	kind btf.Kind
}

// symbolLookup is one lookup of the helper program: an address with
// bpf_kallsyms_lookup_name when kind is 0, else a BTF id with
// bpf_btf_find_by_name_kind.
type symbolLookup struct {
	name string
	kind btf.Kind
}

// runLookups loads and runs the lookup program and returns its context:
// 16 bytes per lookup, the helper's return value and, for addresses, the
// address.
func runLookups(lookups []symbolLookup) ([]byte, error) {
	insns, err := lookupProgram(lookups)
	if err != nil {
		return nil, err
	}
	fd, _, err := kernel.ProgLoad(&kernel.ProgLoadAttr{
		Type:    progTypeSyscall,
		Flags:   flagSleepable,
		Insns:   asm.Encode(insns, binary.NativeEndian),
		License: "GPL",
		Name:    "bpfgen_lookup",
	})
	if err != nil {
		return nil, err
	}
	defer kernel.Close(fd)
	ctx := make([]byte, 16*len(lookups))
	if _, err := kernel.ProgTestRun(&kernel.TestRunAttr{ProgFD: fd, CtxIn: ctx}); err != nil {
		return nil, err
	}
	return ctx, nil
}

// lookupProgram builds the lookup program: for each name, copy it onto the
// stack, call the helper, and store its return value at ctx[16*i] and, for
// addresses, the address at ctx[16*i+8].
func lookupProgram(lookups []symbolLookup) ([]asm.Insn, error) {
	const (
		nameOff   = -maxHelperName
		resultOff = nameOff - 8
	)
	if 16*len(lookups) > 1<<15 {
		return nil, errors.New("too many kernel symbols for one lookup program")
	}
	var b asm.Builder
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1))
	for i, l := range lookups {
		if len(l.name)+1 > maxHelperName {
			return nil, fmt.Errorf("%s: name too long for a helper lookup", l.name)
		}
		buf := make([]byte, (len(l.name)+1+7)&^7)
		copy(buf, l.name)
		for j := 0; j < len(buf); j += 8 {
			b.Emit(asm.LdImm64(asm.R1, 0, binary.NativeEndian.Uint64(buf[j:]))...)
			b.Emit(asm.StoreMem(asm.SizeDW, asm.R10, int16(nameOff+j), asm.R1))
		}
		b.Emit(
			asm.Mov.Reg(asm.R1, asm.R10), asm.Add.Imm(asm.R1, nameOff),
			asm.Mov.Imm(asm.R2, int32(len(l.name)+1)),
		)
		if l.kind == 0 {
			b.Emit(
				asm.Mov.Imm(asm.R3, 0),
				asm.Mov.Reg(asm.R4, asm.R10), asm.Add.Imm(asm.R4, resultOff),
				asm.Call(helperKallsymsLookupName),
				asm.StoreMem(asm.SizeDW, asm.R6, int16(16*i), asm.R0),
				asm.LoadMem(asm.SizeDW, asm.R1, asm.R10, resultOff),
				asm.StoreMem(asm.SizeDW, asm.R6, int16(16*i+8), asm.R1),
			)
		} else {
			b.Emit(
				asm.Mov.Imm(asm.R3, int32(l.kind)),
				asm.Mov.Imm(asm.R4, 0),
				asm.Call(helperBTFFindByNameKind),
				asm.StoreMem(asm.SizeDW, asm.R6, int16(16*i), asm.R0),
			)
		}
	}
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Exit())
	insns, _, err := b.Assemble()
	return insns, err
}
