package gen_test

import (
	"testing"

	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/lskel"
)

func TestSignSmoke(t *testing.T) {
	l, err := gen.GenerateWith(open(t, "minimal"), nil, gen.Options{Signed: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := lskel.Run(&l.Loader, &lskel.RunOptions{Unsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	res.Close()
	l.Data[len(l.Data)-1] ^= 1
	_, err = lskel.Run(&l.Loader, &lskel.RunOptions{Unsigned: true})
	t.Logf("tampered: %v", err)
	l.Data[len(l.Data)-1] ^= 1
	l.Signatures[1] = []byte{1, 2, 3}
	_, err = lskel.Run(&l.Loader, &lskel.RunOptions{})
	t.Logf("signed: %v", err)
}
