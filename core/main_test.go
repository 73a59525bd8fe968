package core_test

import (
	"testing"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
)

// TestMain fails the package's tests when they leave fds or kernel
// objects behind.
func TestMain(m *testing.M) { leakcheck.Main(m) }
