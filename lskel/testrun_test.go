package lskel

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/asm"
)

// xdpTX is the XDP_TX verdict.
const xdpTX = 3

// sumArgs is the context of the syscall program of TestRunTestContext.
type sumArgs struct{ A, B, Sum uint32 }

// skBuffHead is the start of struct __sk_buff, up to cb[].
type skBuffHead struct {
	Len, PktType, Mark, QueueMapping, Protocol, VlanPresent, VlanTCI, VlanProto uint32
	Priority, IngressIfindex, Ifindex, TCIndex                                  uint32
	CB                                                                          [5]uint32
}

func TestRunTestContext(t *testing.T) {
	requireKernel(t)
	t.Run("syscall", func(t *testing.T) {
		requireSyscallProgs(t)
		// ctx->Sum = ctx->A + ctx->B; return 7.
		prog := testProg(t, progSpec{typ: progTypeSyscall, flags: progFlagSleepable, insns: []asm.Insn{
			asm.LoadMem(asm.SizeW, asm.R2, asm.R1, 0),
			asm.LoadMem(asm.SizeW, asm.R3, asm.R1, 4),
			asm.Add.Reg(asm.R2, asm.R3),
			asm.StoreMem(asm.SizeW, asm.R1, 8, asm.R2),
			asm.Mov.Imm(asm.R0, 7),
			asm.Exit(),
		}}, "syscall")
		args := sumArgs{A: 40, B: 2}
		rv, out, err := RunTestContext(prog, &args, nil)
		if err != nil || rv != 7 || out != nil {
			t.Fatalf("RunTestContext = %d, %x, %v; want 7, no data", rv, out, err)
		}
		if args.Sum != 42 {
			t.Fatalf("context after the run: %+v, want Sum 42", args)
		}
	})
	t.Run("tc", func(t *testing.T) {
		// skb->cb[0] = skb->mark + 1; return skb->mark.
		prog := testProg(t, progSpec{typ: progTypeSchedCLS, insns: []asm.Insn{
			asm.LoadMem(asm.SizeW, asm.R0, asm.R1, 8),
			asm.Mov.Reg(asm.R2, asm.R0),
			asm.Add.Imm(asm.R2, 1),
			asm.StoreMem(asm.SizeW, asm.R1, 48, asm.R2),
			asm.Exit(),
		}}, "tc")
		ctx := skBuffHead{Mark: 99}
		rv, out, err := RunTestContext(prog, &ctx, make([]byte, 14))
		if err != nil || rv != 99 || len(out) != 14 {
			t.Fatalf("RunTestContext = %d, %d bytes, %v; want 99, 14 bytes", rv, len(out), err)
		}
		if ctx.CB[0] != 100 || ctx.Mark != 99 {
			t.Fatalf("context after the run: mark %d cb[0] %d, want 99 and 100", ctx.Mark, ctx.CB[0])
		}
	})
	t.Run("xdp", func(t *testing.T) {
		// The first byte of the packet becomes 0xab; return XDP_TX.
		var b asm.Builder
		b.Emit(
			asm.LoadMem(asm.SizeW, asm.R2, asm.R1, 0), // data
			asm.LoadMem(asm.SizeW, asm.R3, asm.R1, 4), // data_end
			asm.Mov.Reg(asm.R4, asm.R2),
			asm.Add.Imm(asm.R4, 1),
		)
		b.Jump(asm.JGT.Reg(asm.R4, asm.R3, "out"))
		b.Emit(asm.StoreImm(asm.SizeB, asm.R2, 0, 0xab))
		if err := b.Label("out"); err != nil {
			t.Fatal(err)
		}
		b.Emit(asm.Mov.Imm(asm.R0, xdpTX), asm.Exit())
		insns, _, err := b.Assemble()
		if err != nil {
			t.Fatal(err)
		}
		prog := testProg(t, progSpec{typ: progTypeXDP, attachType: attachTypeXDP, insns: insns}, "xdp")
		pkt := bytes.Repeat([]byte{1}, 64)
		r, err := RunTest(prog, &TestRunOptions{Data: pkt, Repeat: 100})
		if err != nil {
			t.Fatal(err)
		}
		want := append([]byte{0xab}, pkt[1:]...)
		if r.Retval != xdpTX || !bytes.Equal(r.Data, want) {
			t.Fatalf("RunTest = %d, %x; want XDP_TX, %x", r.Retval, r.Data, want)
		}
		if pkt[0] != 1 {
			t.Fatal("the run changed the input packet")
		}
		// A failed run names the program; a nil one is not loaded.
		closed := testProg(t, progSpec{typ: progTypeXDP, attachType: attachTypeXDP, insns: insns}, "xdp")
		closed.Close()
		if _, err := RunTest(closed, &TestRunOptions{Data: pkt}); err == nil || !strings.Contains(err.Error(), "test run of program lskel_test") {
			t.Fatalf("test run of a closed program: %v, want an error naming it", err)
		}
		if _, err := RunTest(nil, &TestRunOptions{Data: pkt}); !errors.Is(err, errNotLoaded) {
			t.Fatalf("test run of a nil program: %v, want errNotLoaded", err)
		}
	})
}
