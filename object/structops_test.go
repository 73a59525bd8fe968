package object_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/object"
)

// TestStructOps: the maps of .struct_ops and .struct_ops.link, the
// programs their function pointers name, their data, and the struct_ops
// program no map names (not loaded).
func TestStructOps(t *testing.T) {
	obj, err := object.Open("../testdata/structops.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range obj.Maps {
		so := m.StructOps
		if so == nil {
			continue
		}
		got = append(got, fmt.Sprintf("%s %s %s link=%v flags=%#x value=%d", m.Name, m.Section, so.TypeName, so.Link, m.Flags, m.ValueSize))
		for _, mem := range so.Members {
			if mem.Zero(so.Data) {
				continue
			}
			v := "data " + strings.TrimRight(string(so.Data[mem.Offset:mem.Offset+mem.Size]), "\x00")
			if mem.Prog != nil {
				v = "prog " + mem.Prog.Name
			}
			got = append(got, fmt.Sprintf("  %s@%d/%d func=%v %s", mem.Name, mem.Offset, mem.Size, mem.Func, v))
		}
	}
	for _, p := range obj.Programs() {
		target := "-"
		if p.StructOps != nil {
			target = p.StructOps.Type + "." + p.StructOps.Member
		}
		got = append(got, fmt.Sprintf("%s %v autoload=%v %s", p.Name, p.Type, p.Autoload, target))
	}
	want := []string{
		"so_link .struct_ops.link tcp_congestion_ops link=true flags=0x2000 value=192",
		"  ssthresh@0/8 func=true prog so_ssthresh",
		"  cong_avoid@8/8 func=true prog so_cong_avoid",
		"  undo_cwnd@64/8 func=true prog so_undo_cwnd",
		"  name@88/16 func=false data bpfgen_so_link",
		"so_plain .struct_ops tcp_congestion_ops link=false flags=0x0 value=192",
		"  ssthresh@0/8 func=true prog so_ssthresh",
		"  cong_avoid@8/8 func=true prog so_cong_avoid",
		"  undo_cwnd@64/8 func=true prog so_undo_cwnd",
		"  name@88/16 func=false data bpfgen_so_plain",
		"so_ssthresh struct_ops autoload=true tcp_congestion_ops.ssthresh",
		"so_undo_cwnd struct_ops autoload=true tcp_congestion_ops.undo_cwnd",
		"so_cong_avoid struct_ops autoload=true tcp_congestion_ops.cong_avoid",
		"so_unused struct_ops autoload=false -",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestStructOpsMalformed: relocations of a struct_ops section that do not
// place a program in a function pointer are refused, naming the map and
// the member.
func TestStructOpsMalformed(t *testing.T) {
	const obj = "../testdata/structops.bpf.o"
	le := binary.LittleEndian
	tests := []struct {
		name string
		edit func(e *elfEdit)
		want string
	}{
		{"relocation into a data member", func(e *elfEdit) {
			rel := e.sectionData(e.index(".rel.struct_ops"))
			le.PutUint64(rel, 88) // so_plain's name
		}, "struct_ops map so_plain: member name is not a function pointer"},
		{"relocation between members", func(e *elfEdit) {
			rel := e.sectionData(e.index(".rel.struct_ops"))
			le.PutUint64(rel, 4)
		}, "struct_ops map so_plain: offset 4 is the start of no member of struct tcp_congestion_ops"},
		{"relocation past the maps", func(e *elfEdit) {
			rel := e.sectionData(e.index(".rel.struct_ops"))
			le.PutUint64(rel, 4096)
		}, "offset is in no struct_ops map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEdit(t, obj)
			tt.edit(e)
			_, err := object.OpenBytes("structops", e.raw)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
