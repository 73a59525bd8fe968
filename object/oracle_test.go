package object_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/object"
	"github.com/cilium/ebpf"
)

// testObjects returns every committed BPF test object.
func testObjects(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../testdata/*.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no BPF objects in ../testdata")
	}
	return paths
}

// ciliumCannot lists test objects cilium/ebpf v0.22.0 refuses, and why.
var ciliumCannot = map[string]string{
	"kconfig.bpf.o":      "it has no weak kconfig externs",
	"ksym_data.bpf.o":    "it supports only typeless-void ksyms, not typed ksym VARs",
	"ksyms.bpf.o":        "it supports only typeless-void ksyms, not typed ksym VARs",
	"missing_ksym.bpf.o": "it supports only typeless-void ksyms, not typed ksym VARs",
	"structops.bpf.o":    "it refuses .struct_ops sections (\"section .struct_ops: not supported\")",
	"usdt.bpf.o":         "it does not relocate references to usdt.bpf.h's __weak maps",
}

// ciliumOwnSlots splits cilium's linked instructions of one program into
// instruction slots per function symbol.
func ciliumOwnSlots(p *ebpf.ProgramSpec) map[string]int {
	counts := map[string]int{}
	cur := ""
	for _, ins := range p.Instructions {
		if sym := ins.Symbol(); sym != "" {
			cur = sym
		}
		counts[cur] += int(ins.Size() / 8)
	}
	return counts
}

// TestOracleCilium parses every test object with cilium/ebpf and checks
// that programs, their instruction counts and maps agree with ours.
func TestOracleCilium(t *testing.T) {
	for _, path := range testObjects(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			obj, err := object.Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			cs, err := ebpf.LoadCollectionSpec(path)
			if why, ok := ciliumCannot[filepath.Base(path)]; ok {
				// Still check our side opened it (above) and that the
				// exclusion is still needed.
				if err == nil {
					t.Fatalf("cilium now parses this object (excluded because %s): compare it", why)
				}
				t.Logf("cilium cannot parse it (%s): %v", why, err)
				return
			}
			if err != nil {
				t.Fatalf("cilium: %v", err)
			}
			funcs := map[string]*object.Function{}
			for _, f := range obj.Functions {
				funcs[f.Name] = f
			}
			progs := obj.Programs()
			if len(progs) != len(cs.Programs) {
				t.Errorf("%d programs, cilium finds %d", len(progs), len(cs.Programs))
			}
			for _, p := range progs {
				cp := cs.Programs[p.Name]
				if cp == nil {
					t.Errorf("program %s: cilium does not find it", p.Name)
					continue
				}
				if cp.SectionName != p.Section {
					t.Errorf("program %s: section %q, cilium %q", p.Name, p.Section, cp.SectionName)
				}
				if uint32(cp.Type) != uint32(p.Type) {
					t.Errorf("program %s: type %v, cilium %v", p.Name, p.Type, cp.Type)
				}
				if uint32(cp.AttachType) != uint32(p.AttachType) {
					t.Errorf("program %s: attach type %v, cilium %v", p.Name, p.AttachType, cp.AttachType)
				}
				if cp.AttachTo != p.AttachTo {
					t.Errorf("program %s: attach to %q, cilium %q", p.Name, p.AttachTo, cp.AttachTo)
				}
				if cp.Flags != p.Flags {
					t.Errorf("program %s: flags %#x, cilium %#x", p.Name, p.Flags, cp.Flags)
				}
				for name, n := range ciliumOwnSlots(cp) {
					f := funcs[name]
					if f == nil {
						t.Errorf("program %s: cilium has function %s, we do not", p.Name, name)
						continue
					}
					if len(f.Insns) != n {
						t.Errorf("function %s (in %s): %d instructions, cilium %d", name, p.Name, len(f.Insns), n)
					}
				}
			}

			if len(obj.Maps) != len(cs.Maps) {
				t.Errorf("%d maps, cilium finds %d", len(obj.Maps), len(cs.Maps))
			}
			for _, m := range obj.Maps {
				cm := cs.Maps[m.Name]
				if cm == nil {
					t.Errorf("map %s: cilium does not find it", m.Name)
					continue
				}
				compareMap(t, m, cm)
				if m.Inner != nil || cm.InnerMap != nil {
					if m.Inner == nil || cm.InnerMap == nil {
						t.Errorf("map %s: inner map %v, cilium %v", m.Name, m.Inner != nil, cm.InnerMap != nil)
					} else {
						compareMap(t, m.Inner, cm.InnerMap)
					}
				}
				if m.Internal == object.InternalData || m.Internal == object.InternalRodata {
					if len(cm.Contents) != 1 {
						t.Errorf("map %s: cilium has %d content entries", m.Name, len(cm.Contents))
					} else if v, ok := cm.Contents[0].Value.([]byte); !ok || string(v) != string(m.Contents) {
						t.Errorf("map %s: contents differ from cilium's", m.Name)
					}
				}
				if len(m.Slots) > 0 {
					if len(cm.Contents) != len(m.Slots) {
						t.Errorf("map %s: %d slots, cilium %d", m.Name, len(m.Slots), len(cm.Contents))
					}
					for i, s := range m.Slots {
						if i >= len(cm.Contents) {
							break
						}
						want := ""
						if s.Prog != nil {
							want = s.Prog.Name
						} else {
							want = obj.Maps[s.Map].Name
						}
						if k, _ := cm.Contents[i].Key.(uint32); k != s.Index || cm.Contents[i].Value != want {
							t.Errorf("map %s: slot %d = %s, cilium %v = %v", m.Name, s.Index, want, cm.Contents[i].Key, cm.Contents[i].Value)
						}
					}
				}
			}
		})
	}
}

func compareMap(t *testing.T, m *object.Map, cm *ebpf.MapSpec) {
	t.Helper()
	if uint32(cm.Type) != uint32(m.Type) {
		t.Errorf("map %s: type %v, cilium %v", m.Name, m.Type, cm.Type)
	}
	if cm.KeySize != m.KeySize || cm.ValueSize != m.ValueSize {
		t.Errorf("map %s: key/value size %d/%d, cilium %d/%d", m.Name, m.KeySize, m.ValueSize, cm.KeySize, cm.ValueSize)
	}
	if cm.MaxEntries != m.MaxEntries {
		t.Errorf("map %s: max entries %d, cilium %d", m.Name, m.MaxEntries, cm.MaxEntries)
	}
	flags := m.Flags
	cflags := cm.Flags
	if m.Internal != object.NotInternal {
		// cilium decides BPF_F_MMAPABLE at load; compare the rest.
		flags &^= object.MapFlagMmapable
		cflags &^= object.MapFlagMmapable
	}
	if flags != cflags {
		t.Errorf("map %s: flags %#x, cilium %#x", m.Name, m.Flags, cm.Flags)
	}
	if uint32(cm.Pinning) != m.Pinning {
		t.Errorf("map %s: pinning %d, cilium %d", m.Name, m.Pinning, cm.Pinning)
	}
	if !strings.HasPrefix(m.Name, ".") && cm.MapExtra != m.MapExtra {
		t.Errorf("map %s: map_extra %d, cilium %d", m.Name, m.MapExtra, cm.MapExtra)
	}
}
