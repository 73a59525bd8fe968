package kernel

import "testing"

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in   string
		want int
		bad  bool
	}{
		{"0\n", 1, false},
		{"0-1\n", 2, false},
		{"0-3,5,7-8", 7, false},
		{"", 0, true},
		{"3-1", 0, true},
		{"x", 0, true},
		{"0-70000", 0, true},
		{"1,,2", 0, true},
		{"-1", 0, true},
		{"0-1-2", 0, true},
		{"0,", 0, true},
		{"0-", 0, true},
	}
	for _, tt := range tests {
		got, err := parseCPUList(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("parseCPUList(%q) = %d, %v; want %d, bad %v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestPossibleCPUs(t *testing.T) {
	n, err := PossibleCPUs()
	if err != nil || n < 1 {
		t.Fatalf("PossibleCPUs() = %d, %v; want at least 1", n, err)
	}
}
