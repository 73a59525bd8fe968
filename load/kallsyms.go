package load

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/kernel"
)

const (
	helperKallsymsLookupName = 179
	progTypeSyscall          = 31
	flagSleepable            = 1 << 4
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
	insns, err := kallsymsProgram(names)
	if err != nil {
		return nil, err
	}
	fd, _, err := kernel.ProgLoad(&kernel.ProgLoadAttr{
		Type:    progTypeSyscall,
		Flags:   flagSleepable,
		Insns:   asm.Encode(insns, binary.NativeEndian),
		License: "GPL",
		Name:    "bpfgen_kallsyms",
	})
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	ctx := make([]byte, 16*len(names))
	if _, err := kernel.ProgTestRun(&kernel.TestRunAttr{ProgFD: fd, CtxIn: ctx}); err != nil {
		return nil, err
	}
	for i, n := range names {
		status := int64(binary.NativeEndian.Uint64(ctx[16*i:]))
		addr := binary.NativeEndian.Uint64(ctx[16*i+8:])
		switch {
		case status == 0 && addr != 0:
			found[n] = addr
		case status == -int64(unix.ENOENT):
		case status == -int64(unix.EPERM) || status == 0:
			return nil, fmt.Errorf("ksym %s: %w", n, kernel.ErrKallsymsHidden)
		default:
			return nil, fmt.Errorf("ksym %s: bpf_kallsyms_lookup_name: %w", n, unix.Errno(-status))
		}
	}
	return found, nil
}

// kallsymsProgram builds the lookup program: for each name, copy it onto
// the stack, call bpf_kallsyms_lookup_name, and store the helper's status
// and the address at ctx[16*i] and ctx[16*i+8].
func kallsymsProgram(names []string) ([]asm.Insn, error) {
	const (
		nameOff   = -maxHelperName
		resultOff = nameOff - 8
	)
	if 16*len(names) > 1<<15 {
		return nil, errors.New("too many kernel symbols for one lookup program")
	}
	var b asm.Builder
	b.Emit(asm.Mov64Reg(asm.R6, asm.R1))
	for i, name := range names {
		buf := make([]byte, (len(name)+1+7)&^7)
		copy(buf, name)
		for j := 0; j < len(buf); j += 8 {
			b.Emit(asm.LdImm64(asm.R1, 0, binary.NativeEndian.Uint64(buf[j:]))...)
			b.Emit(asm.StoreMem(asm.SizeDW, asm.R10, int16(nameOff+j), asm.R1))
		}
		b.Emit(
			asm.Mov64Reg(asm.R1, asm.R10), asm.ALU64Imm(asm.ALUAdd, asm.R1, nameOff),
			asm.Mov64Imm(asm.R2, int32(len(name)+1)),
			asm.Mov64Imm(asm.R3, 0),
			asm.Mov64Reg(asm.R4, asm.R10), asm.ALU64Imm(asm.ALUAdd, asm.R4, resultOff),
			asm.Call(helperKallsymsLookupName),
			asm.StoreMem(asm.SizeDW, asm.R6, int16(16*i), asm.R0),
			asm.LoadMem(asm.SizeDW, asm.R1, asm.R10, resultOff),
			asm.StoreMem(asm.SizeDW, asm.R6, int16(16*i+8), asm.R1),
		)
	}
	b.Emit(asm.Mov64Imm(asm.R0, 0), asm.Exit())
	insns, _, err := b.Assemble()
	return insns, err
}
