package kernel

import "strconv"

// MapMismatchError is an existing map (a pin, a map passed in) that
// differs from the one an object declares in Field: Have is the existing
// map's value, Want the declaration's.
type MapMismatchError struct {
	Field      string
	Have, Want uint64
}

func (e *MapMismatchError) Error() string {
	return "incompatible: " + e.Field + " is " + strconv.FormatUint(e.Have, 10) +
		", the object declares " + strconv.FormatUint(e.Want, 10)
}

// CheckMapReuse checks that the map behind fd can stand in for a map
// created with want, comparing what libbpf compares before it reuses a
// pinned map: type, key and value size, max_entries, flags and map_extra.
// A difference is a *MapMismatchError naming the first field that
// differs.
func CheckMapReuse(fd int, want *MapCreateAttr) error {
	info, err := GetMapInfo(fd)
	if err != nil {
		return err
	}
	for _, f := range [...]struct {
		name       string
		have, want uint64
	}{
		{"type", uint64(info.Type), uint64(want.Type)},
		{"key_size", uint64(info.KeySize), uint64(want.KeySize)},
		{"value_size", uint64(info.ValueSize), uint64(want.ValueSize)},
		{"max_entries", uint64(info.MaxEntries), uint64(want.MaxEntries)},
		{"map_flags", uint64(info.Flags), uint64(want.Flags)},
		{"map_extra", info.MapExtra, want.MapExtra},
	} {
		if f.have != f.want {
			return &MapMismatchError{Field: f.name, Have: f.have, Want: f.want}
		}
	}
	return nil
}
