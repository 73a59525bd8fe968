#!/usr/bin/env bash
# fetch.sh LABEL... — downloads Debian's kernel packages for each LABEL
# (5.10 6.1 6.12 6.19 7.3) into the kernel cache and unpacks them there, once.
# Never installs them. After it, $CACHE/k/LABEL/ holds:
#   root/    the unpacked packages (boot/ or usr/lib/modules/KVER/vmlinuz, lib/modules/…)
#   kver     the kernel release (uname -r)
#   vmlinuz  a symlink to the kernel image
#   packages the package names and versions it came from
set -euo pipefail

CACHE=${BPFGEN_KERNEL_CACHE:-$HOME/.cache/bpfgen/kernels}
mkdir -p "$CACHE"

# A private apt state for the suites the host does not list (bullseye,
# trixie-backports): its own sources list, lists and cache, so the host's apt
# configuration is left alone.
PAPT=$CACHE/apt
papt_opts=(-o "Dir::Etc::SourceList=$PAPT/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$PAPT/lists" -o "Dir::Cache=$PAPT/cache" -o "APT::Sandbox::User=root")
papt_ready=
papt() {
	if [ -z "$papt_ready" ]; then
		mkdir -p "$PAPT/etc" "$PAPT/lists/partial" "$PAPT/cache/archives/partial"
		local kr=/usr/share/keyrings/debian-archive-keyring.gpg
		cat >"$PAPT/etc/sources.list" <<-SRC
			deb [signed-by=$kr] http://deb.debian.org/debian bullseye main
			deb [signed-by=$kr] http://deb.debian.org/debian-security bullseye-security main
			deb [signed-by=$kr] http://deb.debian.org/debian trixie-backports main
		SRC
		# Refresh the lists at most once a day.
		if [ -z "$(find "$PAPT/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
			echo "kernels: apt-get update (private lists: bullseye, trixie-backports)" >&2
			apt-get "${papt_opts[@]}" update -qq >&2
		fi
		papt_ready=1
	fi
	"$@" "${papt_opts[@]}"
}
host_ready=
hapt() {
	if [ -z "$host_ready" ]; then
		if ! apt-cache show linux-image-6.1.0-47-amd64 >/dev/null 2>&1; then
			apt-get update -qq >&2
		fi
		host_ready=1
	fi
	"$@"
}

# newest PATTERN apt-cache-wrapper: the highest version-sorted package name matching PATTERN.
newest() {
	local pat=$1
	shift
	"$@" apt-cache pkgnames linux-image- | grep -E "^${pat}\$" | sort -V | tail -1
}

fetch() {
	local label=$1 dir=$CACHE/k/$1
	if [ -f "$dir/kver" ] && [ -e "$dir/vmlinuz" ]; then
		return 0
	fi
	local -a pkgs=() ; local via=hapt
	case $label in
	5.10) via=papt; pkgs=(linux-image-${KERNEL_5_10:-5.10.0-46}-amd64) ;;
	6.1) pkgs=($(newest 'linux-image-6\.1\.0-[0-9]+-amd64' hapt)) ;;
	6.12) pkgs=($(newest 'linux-image-6\.12\.[0-9]+\+deb12-amd64' hapt)) ;;
	6.19)
		via=papt
		local v=${KERNEL_6_19:-6.19.14}
		pkgs=(linux-binary-$v+deb13-amd64)
		# trixie-backports serves linux-modules-/linux-base- for some
		# versions only: take them when they exist.
		for p in linux-modules-$v+deb13-amd64 linux-base-$v+deb13-amd64; do
			if [ -n "$(papt apt-cache madison "$p" 2>/dev/null)" ]; then pkgs+=("$p"); fi
		done
		;;
	7.3)
		via=papt
		local v=${KERNEL_7_3:-7.3.4}
		pkgs=(linux-binary-$v+deb13-amd64 linux-modules-$v+deb13-amd64 linux-base-$v+deb13-amd64)
		;;
	*) echo "kernels: unknown kernel '$label' (know 5.10 6.1 6.12 6.19 7.3)" >&2; return 1 ;;
	esac
	if [ ${#pkgs[@]} -eq 0 ] || [ -z "${pkgs[0]}" ]; then
		echo "kernels: no package found for $label" >&2
		return 1
	fi
	echo "kernels: $label: downloading ${pkgs[*]}" >&2
	mkdir -p "$CACHE/debs"
	(cd "$CACHE/debs" && $via apt-get download -q "${pkgs[@]}" >&2)
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp/root"
	: >"$dir.tmp/packages"
	for p in "${pkgs[@]}"; do
		local deb
		deb=$(ls -t "$CACHE/debs/${p}_"*.deb | head -1)
		dpkg-deb -x "$deb" "$dir.tmp/root"
		echo "$p $(dpkg-deb -f "$deb" Version)" >>"$dir.tmp/packages"
	done
	# The image: boot/vmlinuz-KVER (bookworm, bullseye) or
	# usr/lib/modules/KVER/vmlinuz (trixie-backports' linux-binary).
	local img
	img=$(ls "$dir.tmp"/root/boot/vmlinuz-* "$dir.tmp"/root/usr/lib/modules/*/vmlinuz "$dir.tmp"/root/lib/modules/*/vmlinuz 2>/dev/null | head -1 || true)
	if [ -z "$img" ]; then
		echo "kernels: $label: no vmlinuz in ${pkgs[*]}" >&2
		return 1
	fi
	local kver
	case $img in
	*/boot/vmlinuz-*) kver=${img##*/vmlinuz-} ;;
	*) kver=$(basename "$(dirname "$img")") ;;
	esac
	echo "$kver" >"$dir.tmp/kver"
	ln -s "${img#$dir.tmp/}" "$dir.tmp/vmlinuz"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	echo "kernels: $label: $kver ready in $dir" >&2
}

for l in "$@"; do fetch "$l"; done
