package gen

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// fdIn says whether map i of l takes an existing map from the context
// (abi.Loader.TakesMapFD), and whether the object pins it by name.
func fdIn(l *abi.Loader, i int) string {
	s := "no"
	if l.TakesMapFD(i) {
		s = "yes"
	}
	if l.Maps[i].Pinning == abi.PinByName {
		s += ", pinned by name"
	}
	return s
}

// Dump prints a loader for a reader: its maps and programs, the blob's
// table of contents, the steps, and the loader program disassembled with
// each step annotated.
//
// Map and program types are the kernel's names ("hash", "tracepoint"), a
// bpf_sys_bpf call is noted with its command (BPF_PROG_LOAD) and an access
// to the blob with what it reaches (an attr field by its bpf_attr name,
// an fd table slot): see Listing.
func (l *Loader) Dump(w io.Writer, bo binary.ByteOrder) error {
	lines, err := l.Listing(bo)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "loader of %s: %d instructions, blob %d bytes, context %d bytes\n\n",
		l.Name, len(l.Insns)/asm.InsnSize, len(l.Data), l.CtxSize())

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MAP\tKERNEL NAME\tTYPE\tKEY\tVALUE\tMAX ENTRIES\tFLAGS\tFD IN")
	for i, m := range l.Maps {
		fmt.Fprintf(tw, "%d %s\t%s\t%s\t%d\t%d\t%d\t%#x\t%s\n", i, m.Name, m.KernelName, object.MapType(m.Type), m.KeySize, m.ValueSize, m.MaxEntries, m.Flags, fdIn(&l.Loader, i))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROGRAM\tSECTION\tTYPE\tLOADED")
	for j, p := range l.Progs {
		fmt.Fprintf(tw, "%d %s\t%s\t%s\t%v\n", j, p.Name, p.Section, object.ProgType(p.Type), p.Loaded)
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

	var b strings.Builder
	if l.Table {
		recs, err := l.Records(bo)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, "\nrecords (the calls the loader replays):")
		for _, r := range recs {
			fmt.Fprintf(w, "  %s\n", r)
		}
		b.WriteString("\nprogram (the table interpreter, the same for every object):\n")
	} else {
		fmt.Fprintln(w, "\nsteps:")
		for i, s := range l.Steps {
			fmt.Fprintf(w, "  %d %s\n", i, s)
		}
		b.WriteString("\nprogram:\n")
	}
	for _, ln := range lines {
		for _, c := range strings.Split(ln.Comment, "\n") {
			if c != "" {
				fmt.Fprintf(&b, "; %s\n", c)
			}
		}
		if ln.Note != "" {
			fmt.Fprintf(&b, "%4d: %-40s ; %s\n", ln.Index, ln.Text, ln.Note)
		} else {
			fmt.Fprintf(&b, "%4d: %s\n", ln.Index, ln.Text)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("dump: write: %w", err)
	}
	return nil
}
