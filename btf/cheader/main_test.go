package cheader

import (
	"testing"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
