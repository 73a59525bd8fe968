package kernel

import "testing"

func TestParseDecimal(t *testing.T) {
	for in, want := range map[string]int64{
		"123\n": 123, "0": 0, " 7\n": 7, "": -1, "12 3": -1, "x1": -1, "-1": -1, "99999999999999999999": -1,
	} {
		got, ok := parseDecimal([]byte(in))
		if (want < 0) == ok || (ok && got != uint64(want)) {
			t.Errorf("parseDecimal(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}
