#!/usr/bin/env bash
# matrix.sh — `make test-kernels`: runs the whole test suite on the host and
# under qemu (TCG) on Debian kernels, one VM at a time, and reports a
# kernel x package table. See README.md, "Testing on other kernels".
#
# Environment:
#   KERNELS                 kernels to boot (default "5.10 6.1 6.12 6.19 7.3")
#   BPFGEN_KERNEL_CACHE     cache dir (default $HOME/.cache/bpfgen/kernels)
#   BPFGEN_KERNELS_HOST=0   skip the host column
#   BPFGEN_KERNELS_REV=REV  test a commit (git archive) instead of the work tree
#   BPFGEN_KERNELS_PKGS     package patterns to test (default ./...)
#   BPFGEN_KERNELS_REUSE=1  keep the last run's snapshot and test binaries
#                           (re-run one kernel against the same code)
#   BPFGEN_KERNEL_VM_TIMEOUT   hard limit per guest, seconds (default 5400)
#   BPFGEN_KERNEL_TEST_TIMEOUT -test.timeout per package (default 40m)
#   BPFGEN_KERNEL_MEM       guest memory (default 3G)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PATH=/usr/local/go/bin:$PATH
CACHE=${BPFGEN_KERNEL_CACHE:-$HOME/.cache/bpfgen/kernels}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
export BPFGEN_KERNEL_CACHE=$CACHE
KERNELS=${KERNELS:-"5.10 6.1 6.12 6.19 7.3"}
VM_TIMEOUT=${BPFGEN_KERNEL_VM_TIMEOUT:-5400}
MEM=${BPFGEN_KERNEL_MEM:-3G}
WORK=$CACHE/work
RESULTS=$CACHE/results

log() { echo "kernels: $*" >&2; }

# One run at a time per cache: runs share the snapshot, the binaries and the
# results, and two VMs at once would starve each other on a small machine.
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
	log "another test-kernels run holds $CACHE/.lock; waiting for it"
	flock 9
fi

# --- host tools, only when missing ---
"$ROOT/scripts/deps.sh"
pkgs=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
command -v qemu-system-x86_64 >/dev/null || pkgs+=(qemu-system-x86)
installed busybox-static || pkgs+=(busybox-static) # a static /bin/busybox for the initramfs
command -v cpio >/dev/null || pkgs+=(cpio)
command -v modprobe >/dev/null && command -v depmod >/dev/null || pkgs+=(kmod)
command -v xz >/dev/null || pkgs+=(xz-utils)
command -v zstd >/dev/null || pkgs+=(zstd)
if [ ${#pkgs[@]} -gt 0 ]; then
	log "installing ${pkgs[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

# --- kernels ---
# shellcheck disable=SC2086
"$ROOT/scripts/kernels/fetch.sh" $KERNELS
# Their BTF, which btf/cheader's tests (on the host) write vmlinux.h for.
# shellcheck disable=SC2086
"$ROOT/scripts/kernels/btf.sh" $KERNELS || log "could not extract every kernel's BTF"

# --- the tree under test, its test binaries, and the package list ---
# The tests run from $WORK/src, a copy of the tree, so that the work tree can
# change while the matrix runs and every column tests the same code; the
# binaries are built there (testutil.Root is the source path compiled in).
if [ "${BPFGEN_KERNELS_REUSE:-0}" = 1 ] && [ -s "$WORK/packages" ]; then
	log "reusing the snapshot and test binaries in $WORK ($(cat "$WORK/revision"))"
	export GOCACHE=$WORK/gocache GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
	cp "$ROOT/scripts/kernels/run-tests.sh" "$WORK/run-tests.sh"
else
	log "snapshot of the tree and test binaries in $WORK"
	rm -rf "$WORK/pristine" "$WORK/src" "$WORK/bin"
	mkdir -p "$WORK/pristine" "$WORK/bin" "$WORK/gocache" "$RESULTS"
	if [ -n "${BPFGEN_KERNELS_REV:-}" ]; then
		git -C "$ROOT" archive "$BPFGEN_KERNELS_REV" | tar -x -C "$WORK/pristine"
		git -C "$ROOT" rev-parse "$BPFGEN_KERNELS_REV" >"$WORK/revision"
	else
		(cd "$ROOT" && git ls-files -z -co --exclude-standard |
			while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
			tar --null -T - -cf -) | tar -x -C "$WORK/pristine"
		echo "$(git -C "$ROOT" rev-parse HEAD) + work tree" >"$WORK/revision"
	fi
	cp -a "$WORK/pristine" "$WORK/src"
	cp "$ROOT/scripts/kernels/run-tests.sh" "$WORK/run-tests.sh"
	export GOCACHE=$WORK/gocache GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
	: >"$WORK/packages"
	# shellcheck disable=SC2086
	(cd "$WORK/src" && go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' ${BPFGEN_KERNELS_PKGS:-./...}) |
		while read -r pkg dir; do
			bin=$WORK/bin/$(echo "$pkg" | tr / _).test
			(cd "$WORK/src" && CGO_ENABLED=0 go test -c -o "$bin" "$pkg")
			echo "$pkg $dir $bin" >>"$WORK/packages"
		done
fi
log "$(wc -l <"$WORK/packages") packages with tests"

# reset_src: every column starts from the same tree (tests may write in it,
# e.g. bench/out).
reset_src() {
	rm -rf "$WORK/src"
	cp -a "$WORK/pristine" "$WORK/src"
}

# --- one column ---
# meta LABEL KEY VALUE: a line of the column's meta file.
meta() { echo "$2=$3" >>"$RESULTS/$1/meta"; }

run_host() {
	local out=$RESULTS/host
	rm -rf "$out"
	mkdir -p "$out"
	reset_src
	meta host kver "$(uname -r)"
	log "host $(uname -r): running the tests"
	local t0 t1
	t0=$(date +%s)
	sh "$WORK/run-tests.sh" "$WORK" "$out" 2>"$out/console.log" || true
	t1=$(date +%s)
	meta host boot_s 0
	meta host run_s $((t1 - t0))
	meta host total_s $((t1 - t0))
	meta host status "$([ -f "$out/done" ] && echo completed || echo incomplete)"
	log "host: $((t1 - t0)) s"
}

# modules_for LABEL NAME...: the .ko files (dependency order, deduplicated)
# that loading NAMEs takes; built-in ones print nothing. Fails when a module
# is neither built in nor present.
modules_for() {
	local kdir=$CACHE/k/$1 kver
	kver=$(cat "$kdir/kver")
	shift
	local m
	for m in "$@"; do
		modprobe -d "$kdir/root" -S "$kver" --show-depends "$m" 2>/dev/null || return 1
	done | awk '$1 == "insmod" { if (!seen[$2]++) print $2 }'
}

# prepare_modules LABEL: depmod for the unpacked tree (the packages leave
# modules.dep to their postinst); a lib -> usr/lib link for merged-/usr trees.
prepare_modules() {
	local kdir=$CACHE/k/$1 kver
	kver=$(cat "$kdir/kver")
	if [ ! -e "$kdir/root/lib" ] && [ -d "$kdir/root/usr/lib/modules" ]; then
		ln -s usr/lib "$kdir/root/lib"
	fi
	[ -d "$kdir/root/lib/modules/$kver/kernel" ] || return 0
	[ -f "$kdir/root/lib/modules/$kver/modules.dep" ] || depmod -b "$kdir/root" "$kver"
}

# kconfig LABEL SYMBOL: y, m or empty, from the config the packages ship
# (boot/config-KVER or usr/lib/modules/KVER/config), else empty.
kconfig() {
	local kdir=$CACHE/k/$1 kver f
	kver=$(cat "$kdir/kver")
	for f in "$kdir/root/boot/config-$kver" "$kdir/root/usr/lib/modules/$kver/config" "$kdir/root/lib/modules/$kver/config"; do
		if [ -f "$f" ]; then
			sed -n "s/^CONFIG_$2=//p" "$f"
			return
		fi
	done
}

# build_initramfs LABEL TRANSPORT MODS...: busybox, the modules (unpacked)
# and /init.
build_initramfs() {
	local label=$1 transport=$2
	shift 2
	local kdir=$CACHE/k/$label ird=$CACHE/k/$label/initramfs
	rm -rf "$ird"
	mkdir -p "$ird"/{bin,dev,proc,sys,newroot,mods}
	cp /bin/busybox "$ird/bin/busybox"
	local ko n=0
	: >"$ird/mods/list"
	for ko in "$@"; do
		n=$((n + 1))
		local dst
		dst=$ird/mods/$(printf '%02d' $n)-$(basename "$ko" | sed 's/\.\(xz\|zst\|gz\)$//')
		case $ko in
		*.xz) xz -dc "$ko" >"$dst" ;;
		*.zst) zstd -qdc "$ko" >"$dst" ;;
		*.gz) gzip -dc "$ko" >"$dst" ;;
		*) cp "$ko" "$dst" ;;
		esac
		basename "$dst" >>"$ird/mods/list"
	done
	# The kernel's config, which an installed Debian kernel has in
	# /boot/config-KVER: /init puts it there (a tmpfs over the host's /boot).
	local f
	for f in "$kdir/root/boot/config-$(cat "$kdir/kver")" "$kdir/root/lib/modules/$(cat "$kdir/kver")/config"; do
		if [ -f "$f" ]; then
			cp "$f" "$ird/config"
			break
		fi
	done
	sed -e "s|@TRANSPORT@|$transport|g" -e "s|@HOME@|$HOME|g" -e "s|@CACHE@|$CACHE|g" -e "s|@WORK@|$WORK|g" \
		-e "s|@OUT@|$RESULTS/$label|g" "$ROOT/scripts/kernels/init.sh" >"$ird/init"
	chmod +x "$ird/init"
	(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$kdir/initramfs.cpio.gz"
}

run_guest() {
	local label=$1 kdir=$CACHE/k/$1 out=$RESULTS/$1
	local kver
	kver=$(cat "$kdir/kver")
	rm -rf "$out"
	mkdir -p "$out"
	meta "$label" kver "$kver"
	meta "$label" packages "$(tr '\n' ' ' <"$kdir/packages")"
	prepare_modules "$label"

	# How the guest reaches the host's root: 9p where the kernel has its
	# modules (or has it built in), else virtiofs (6.19.14: trixie-backports
	# serves no modules package for it, and VIRTIO_FS is built in).
	local transport=9p mods
	local -a extra=()
	if mods=$(modules_for "$label" virtio_pci 9pnet_virtio 9p); then
		transport=9p
	else
		transport=virtiofs
		mods=
	fi
	# Modules the tests use, where the kernel has them as modules.
	local m
	# (veth: the examples' network namespaces.)
	local cfg
	for m in nf_conntrack veth; do
		cfg=$(echo "$m" | tr a-z A-Z)
		if more=$(modules_for "$label" "$m") && [ -n "$more" ]; then
			mods=$(printf '%s\n%s\n' "$mods" "$more" | awk 'NF && !seen[$0]++')
			meta "$label" module_"$m" loaded
		elif [ -z "$(kconfig "$label" "$cfg")" ] && [ ! -d "$kdir/root/lib/modules/$kver/kernel" ]; then
			meta "$label" module_"$m" "no modules package"
		else
			meta "$label" module_"$m" "built in or absent (CONFIG_$cfg=$(kconfig "$label" "$cfg"))"
		fi
	done
	meta "$label" transport "$transport"
	meta "$label" kconfig "$(f=$(ls "$kdir"/root/boot/config-* "$kdir"/root/lib/modules/*/config 2>/dev/null | head -1); [ -n "$f" ] && echo "/boot/config-$kver" || echo "none: the packages ship no config")"
	# shellcheck disable=SC2086
	build_initramfs "$label" "$transport" $mods
	reset_src

	local -a qemu=(qemu-system-x86_64 -accel tcg -m "$MEM" -smp 1 -nographic -no-reboot
		-kernel "$kdir/vmlinuz" -initrd "$kdir/initramfs.cpio.gz"
		-append "console=ttyS0 panic=-1 oops=panic quiet")
	local -a fsd=()
	if [ $transport = 9p ]; then
		qemu+=(-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
			-virtfs "local,path=$CACHE,mount_tag=kcache,security_model=none")
	else
		local s1=$CACHE/k/$label/vfs-root.sock s2=$CACHE/k/$label/vfs-cache.sock
		rm -f "$s1" "$s2"
		/usr/lib/qemu/virtiofsd --socket-path="$s1" -o source=/ -o cache=auto -o sandbox=chroot \
			>"$out/virtiofsd-root.log" 2>&1 &
		fsd+=($!)
		/usr/lib/qemu/virtiofsd --socket-path="$s2" -o source="$CACHE" -o cache=auto -o sandbox=chroot \
			>"$out/virtiofsd-cache.log" 2>&1 &
		fsd+=($!)
		local i
		for i in $(seq 50); do [ -S "$s1" ] && [ -S "$s2" ] && break; sleep 0.1; done
		qemu+=(-object "memory-backend-memfd,id=mem,size=$MEM,share=on" -numa node,memdev=mem
			-chardev "socket,id=vfs0,path=$s1" -device vhost-user-fs-pci,chardev=vfs0,tag=hostroot
			-chardev "socket,id=vfs1,path=$s2" -device vhost-user-fs-pci,chardev=vfs1,tag=kcache)
	fi
	log "$label ($kver, $transport): booting"
	local t0 t1 rc=0
	t0=$(date +%s)
	timeout -k 30 "$VM_TIMEOUT" "${qemu[@]}" </dev/null >"$out/console.log" 2>&1 || rc=$?
	t1=$(date +%s)
	for i in "${fsd[@]}"; do kill "$i" 2>/dev/null || true; wait "$i" 2>/dev/null || true; done
	local started
	if [ -f "$out/started" ]; then
		started=$(stat -c %Y "$out/started")
		meta "$label" boot_s $((started - t0))
		meta "$label" run_s $((t1 - started))
	fi
	meta "$label" total_s $((t1 - t0))
	meta "$label" qemu_rc $rc
	if [ -f "$out/done" ]; then
		meta "$label" status completed
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		meta "$label" status "timed out after ${VM_TIMEOUT}s"
	else
		meta "$label" status "guest did not complete (qemu exit $rc)"
	fi
	log "$label: $((t1 - t0)) s, $(sed -n 's/^status=//p' "$out/meta")"
}

if [ "${BPFGEN_KERNELS_HOST:-1}" != 0 ]; then
	run_host
	columns=(host)
else
	columns=()
fi
for k in $KERNELS; do
	run_guest "$k"
	columns+=("$k")
done

(cd "$ROOT" && go build -o "$WORK/kernelmatrix" ./internal/kernelmatrix)
"$WORK/kernelmatrix" -results "$RESULTS" -work "$WORK" -json "$CACHE/report.json" "${columns[@]}" |
	tee "$CACHE/report.txt"
exit "${PIPESTATUS[0]}"
