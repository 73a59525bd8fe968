package sign_test

import (
	"testing"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
