# bpfgen — see README.md. `make demo` runs the main job on the bundled
# example; `make test` runs every test.
GO ?= go
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: all deps build cross demo test test-kernels vet staticcheck layers fmtcheck testdata testdata-check examples-check bench fuzz clean

all: build

deps:
	./scripts/deps.sh

build:
	$(GO) build ./...

# The main job on the bundled example.
demo: deps
	$(GO) run ./examples/minimal

# Every test: formatting, vet, staticcheck, the BPF objects being current, unit and
# kernel tests, the import rules (internal/layers). Packages run one at a
# time (-p 1). The leak check no longer needs it (it blames a kernel object
# on a package only when no other process holds it and it is not being
# freed), but on a loaded machine the behaviour tests that count a
# tracepoint's hits see the Go runtime's own getpid calls (preemption
# signals) from another thread: gen's TestBehaviour/core failed one run in
# three with packages in parallel. Parallel took ~60 s, -p 1 ~120 s.
test: deps fmtcheck vet staticcheck testdata-check examples-check cross
	BPFGEN_REQUIRE_KERNEL=1 $(GO) test -p 1 -count=1 ./...

# Every package's tests on the host and on Debian kernels 5.10, 6.1, 6.12,
# 6.19 and 7.3 booted under qemu, one at a time; prints a kernel x package
# table (README.md, "Testing on other kernels"). KERNELS="5.10 7.3" picks
# some; the kernels and logs live in $HOME/.cache/bpfgen/kernels.
test-kernels:
	KERNELS="$(KERNELS)" ./scripts/kernels/matrix.sh

vet:
	$(GO) vet ./...

# The generator and the runtime build on other platforms (they load only
# on Linux): macOS, Windows and a big-endian Linux; vet too where the
# tests build (Linux). cmd/bpfgen's TestSameOutputOtherArch runs the
# 386 and s390x builds under qemu-user and compares their output.
CROSS ?= darwin/arm64 windows/amd64 linux/s390x
CROSS_PKGS = ./cmd/bpfgen ./lskel/... ./kernel ./kconfig
cross:
	@for t in $(CROSS); do \
		echo "cross: $$t"; \
		GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null $(CROSS_PKGS) || exit 1; \
		case $$t in linux/*) GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet $(CROSS_PKGS) || exit 1;; esac; \
	done

# Only the check that no package imports a layer it must not (the rules:
# internal/layers/rules.go). `make test` runs it with the other tests.
layers:
	$(GO) test -count=1 ./internal/layers

# staticcheck, pinned as a tool dependency in go.mod; part of `make test`.
staticcheck:
	$(GO) tool staticcheck ./...

fmtcheck:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^testdata/')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Rebuild the committed BPF test objects.
testdata: deps
	$(MAKE) -C testdata
	$(MAKE) -C core/testdata
	$(MAKE) -C examples

# Fail if the committed objects differ from a fresh build.
testdata-check: deps
	$(MAKE) -C testdata check
	$(MAKE) -C core/testdata check
	$(MAKE) -C examples check

# Fail if `go generate ./examples/...` (bpfgen generate over each
# example's C, with the clang testdata uses) changes a generated file: they
# are committed so that building the examples needs no clang.
EXAMPLES_GEN = $(wildcard examples/*/*_bpfe[lb].go examples/*/*_bpfe[lb].o examples/*/*_bpfe[lb]_test.go examples/*/*_bpfe[lb]_test.o examples/*/*_lskel.go)
examples-check: deps
	@before=$$(sha256sum $(EXAMPLES_GEN)); \
	BPF2GO_CC=clang-19 $(GO) generate ./examples/... || exit 1; \
	after=$$(sha256sum examples/*/*_bpfe[lb].go examples/*/*_bpfe[lb].o examples/*/*_bpfe[lb]_test.go examples/*/*_bpfe[lb]_test.o examples/*/*_lskel.go); \
	if [ "$$before" != "$$after" ]; then \
		echo "examples-check: generated files were not current (now regenerated; commit them):"; \
		printf '%s\n' "$$before" > /tmp/examples-check.$$$$; \
		printf '%s\n' "$$after" | diff /tmp/examples-check.$$$$ - | grep '^[<>]'; rm -f /tmp/examples-check.$$$$; exit 1; \
	fi

# Load time, size and memory against libbpf and cilium/ebpf; writes
# bench/REPORT.md. `./bench/run.sh --quick` is the smoke run make test does.
bench: deps
	./bench/run.sh

FUZZTIME ?= 30s
fuzz:
	$(GO) test ./btf -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./btf -run '^$$' -fuzz '^FuzzParseExt$$' -fuzztime $(FUZZTIME)
	$(GO) test ./object -run '^$$' -fuzz FuzzOpen -fuzztime $(FUZZTIME)
	$(GO) test ./gen -run '^$$' -fuzz FuzzReadFile -fuzztime $(FUZZTIME)
	$(GO) test ./kconfig -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./asm -run '^$$' -fuzz FuzzDisasm -fuzztime $(FUZZTIME)
	$(GO) test ./core -run '^$$' -fuzz FuzzParseAccess -fuzztime $(FUZZTIME)
	$(GO) test ./core -run '^$$' -fuzz FuzzResolve -fuzztime $(FUZZTIME)
	$(GO) test ./core -run '^$$' -fuzz FuzzTarget -fuzztime $(FUZZTIME)
	$(GO) test ./kernel -run '^$$' -fuzz FuzzFindFunc -fuzztime $(FUZZTIME)
	$(GO) test ./btf -run '^$$' -fuzz '^FuzzSanitize$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cmd/bpfgen -run '^$$' -fuzz FuzzSplitQuoted -fuzztime $(FUZZTIME)
	$(GO) test ./cc -run '^$$' -fuzz FuzzStripDWARF -fuzztime $(FUZZTIME)
	$(GO) test ./sign -run '^$$' -fuzz '^FuzzParseCertificate$$' -fuzztime $(FUZZTIME)
	$(GO) test ./sign -run '^$$' -fuzz '^FuzzParsePrivateKey$$' -fuzztime $(FUZZTIME)

# Remove what builds and benchmarks leave behind (not the committed
# objects: `make -C testdata clean` does that).
clean:
	rm -rf bench/out
	$(GO) clean ./...
