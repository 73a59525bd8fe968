package btf

import (
	"encoding/binary"
	"reflect"
	"testing"
)

func FuzzParse(f *testing.F) {
	le, _ := allKinds(binary.LittleEndian)
	be, _ := allKinds(binary.BigEndian)
	f.Add(le)
	f.Add(be)
	base := mustParse(f, le)
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := ParseSplit(data, base); err == nil {
			exerciseSpec(t, s)
		}
		if s, err := Parse(data); err == nil {
			exerciseSpec(t, s)
		}
	})
}

// exerciseSpec calls every lookup on every type (they must not panic or
// loop forever), then checks that Marshal gives bytes that parse back to
// the same types and marshal to the same bytes.
func exerciseSpec(t *testing.T, s *Spec) {
	for id, typ := range s.Types() {
		if _, _, err := s.Resolve(id); err != nil && !typ.Kind.IsModifier() {
			t.Fatalf("Resolve(%d) of %s failed: %v", id, typ.Kind, err)
		}
		s.Size(id)
		for i := range typ.Members {
			s.Bitfield(typ, i)
		}
		if typ.Name != "" {
			got, gt, err := s.TypeByName(typ.Name, typ.Kind)
			if err != nil || got > id || gt.Name != typ.Name || gt.Kind != typ.Kind {
				t.Fatalf("TypeByName(%q, %s) = %d, %v; type %d has that name", typ.Name, typ.Kind, got, err, id)
			}
		}
	}
	out, err := s.Marshal()
	if err != nil {
		t.Fatalf("Marshal of a parsed Spec: %v", err)
	}
	var s2 *Spec
	if s.base != nil {
		s2, err = ParseSplit(out, s.base)
	} else {
		s2, err = Parse(out)
	}
	if err != nil {
		t.Fatalf("Parse of Marshal output: %v", err)
	}
	if !reflect.DeepEqual(s.types, s2.types) || s.NumTypes() != s2.NumTypes() {
		t.Fatal("types differ after Marshal and Parse")
	}
	out2, err := s2.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, out2) {
		t.Fatal("second Marshal differs from the first")
	}
}

func FuzzParseExt(f *testing.F) {
	btfRaw, extRaw, _ := objectBTF(f, "testdata/prog.bpf.o")
	spec := mustParse(f, btfRaw)
	f.Add(extRaw)
	f.Fuzz(func(t *testing.T, data []byte) {
		ext, err := ParseExt(data, spec)
		if err != nil {
			return
		}
		n := 0
		for _, sec := range ext.Sections {
			n += len(sec.FuncInfos)*FuncInfoSize + len(sec.LineInfos)*LineInfoSize + len(sec.CORERelos)*CORERelocSize
		}
		if n > len(data) {
			t.Fatalf("%d bytes of records from %d bytes of input", n, len(data))
		}
		re := marshalExt(ext)
		ext2, err := ParseExt(re, spec)
		if err != nil {
			t.Fatalf("re-encoded .BTF.ext: %v", err)
		}
		if !reflect.DeepEqual(ext, ext2) {
			t.Fatal("re-encoded .BTF.ext parses differently")
		}
	})
}
