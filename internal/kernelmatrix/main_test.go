package main

import (
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	evs := parseEvents([]byte(`{"Action":"run","Test":"TestA"}
{"Action":"output","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}
{"Action":"pass","Test":"TestA"}
{"Action":"run","Test":"TestB"}
{"Action":"output","Test":"TestB","Output":"    b_test.go:9: no syscall programs here\n"}
{"Action":"output","Test":"TestB","Output":"--- SKIP: TestB (0.00s)\n"}
{"Action":"skip","Test":"TestB"}
{"Action":"run","Test":"TestC"}
{"Action":"run","Test":"TestC/one"}
{"Action":"output","Test":"TestC/one","Output":"    c_test.go:3: load: EAGAIN\n"}
{"Action":"fail","Test":"TestC/one"}
{"Action":"run","Test":"TestC/two"}
{"Action":"pass","Test":"TestC/two"}
{"Action":"fail","Test":"TestC"}
{"Action":"fail"}
`))
	var pk Pkg
	skipped, failed := summarize("p", evs, &pk, 10)
	if pk.Pass != 2 || pk.Fail != 1 || pk.Skip != 1 {
		t.Errorf("counts %+v; want 2 pass, 1 fail, 1 skip (subtests, not their parents)", pk)
	}
	if len(skipped) != 1 || skipped[0].Message != "b_test.go:9: no syscall programs here" {
		t.Errorf("skipped %+v", skipped)
	}
	if len(failed) != 1 || failed[0].Test != "TestC/one" || !strings.Contains(failed[0].Message, "EAGAIN") {
		t.Errorf("failed %+v; want only the failing subtest", failed)
	}
}

func TestCleanConsole(t *testing.T) {
	in := "\x1b[2J\x1b[01;01HSeaBIOS\r\nline\x1bc two\r\n"
	if got, want := cleanConsole(in), "SeaBIOS\nline two\n"; got != want {
		t.Errorf("cleanConsole = %q; want %q", got, want)
	}
}

func TestLastLines(t *testing.T) {
	if got := lastLines("a\nb\nc\n", 2); got != "[… 1 lines before]\nb\nc" {
		t.Errorf("lastLines = %q", got)
	}
}
