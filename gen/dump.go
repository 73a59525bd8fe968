package gen

import (
	"encoding/binary"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/bpfgen/bpfgen/asm"
)

// Dump prints a loader for a reader: its maps and programs, the blob's
// table of contents, the steps, and the loader program disassembled with
// each step annotated.
func (l *Loader) Dump(w io.Writer, bo binary.ByteOrder) error {
	insns, err := asm.Decode(l.Insns, bo)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "loader of %s: %d instructions, blob %d bytes, context %d bytes\n\n",
		l.Name, len(insns), len(l.Data), l.CtxSize())

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MAP\tKERNEL NAME\tTYPE\tKEY\tVALUE\tMAX ENTRIES\tFLAGS")
	for i, m := range l.Maps {
		fmt.Fprintf(tw, "%d %s\t%s\t%d\t%d\t%d\t%d\t%#x\n", i, m.Name, m.KernelName, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Flags)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROGRAM\tSECTION\tTYPE\tLOADED")
	for j, p := range l.Progs {
		fmt.Fprintf(tw, "%d %s\t%s\t%d\t%v\n", j, p.Name, p.Section, p.Type, p.Loaded)
	}
	tw.Flush()
	if len(l.Kconfig) > 0 {
		fmt.Fprintf(w, "\nkconfig externs (resolved on the target, written into map %d):\n", l.KconfigMap)
		for _, v := range l.Kconfig {
			fmt.Fprintf(w, "  %s at +%d (%d bytes)\n", v.Name, v.Offset, v.Size)
		}
	}

	fmt.Fprintln(w, "\nblob:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  OFFSET\tSIZE\tCONTENT")
	for _, it := range l.TOC {
		fmt.Fprintf(tw, "  %d\t%d\t%s\n", it.Offset, it.Size, it.What)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nsteps:")
	for i, s := range l.Steps {
		fmt.Fprintf(w, "  %d %s\n", i, s)
	}
	fmt.Fprintln(w, "\nprogram:")
	return asm.Disasm(w, insns, l.Comments)
}
