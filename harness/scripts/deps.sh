#!/bin/sh
# deps.sh: install what conclab needs to build and plot, or say exactly how to.
#
# Debian and Ubuntu only (apt-get). Runs apt-get itself when it is root or may use sudo without
# a password; otherwise it prints the one command to run and exits 1. Installs with
# --no-install-recommends: the packages' recommends would drag in about forty more.
#
#   harness/scripts/deps.sh [fuzz] [--quiet]
#
# fuzz: also what `make fuzz` needs, clang's libFuzzer runtime (packaged apart from clang);
# learners never need it. --quiet: say nothing when everything is there.
set -u

packages="make gcc clang libc6-dev pkg-config libcurl4-openssl-dev libcunit1-dev gnuplot-nox
	openmpi-bin libopenmpi-dev patch"
fuzz=false
quiet=false
for arg in "$@"; do
	case $arg in
	fuzz) fuzz=true ;;
	--quiet) quiet=true ;;
	*) echo "usage: $0 [fuzz] [--quiet]" >&2 && exit 2 ;;
	esac
done

missing=""
need() { missing="$missing $1"; }
command -v make >/dev/null 2>&1 || need make
command -v gcc >/dev/null 2>&1 || need gcc
command -v clang >/dev/null 2>&1 || need clang
command -v pkg-config >/dev/null 2>&1 || need pkg-config
command -v gnuplot >/dev/null 2>&1 || need gnuplot-nox
command -v patch >/dev/null 2>&1 || need patch # make test: most wrong solutions are patches
[ -e /usr/include/pthread.h ] || need libc6-dev
if command -v pkg-config >/dev/null 2>&1; then
	pkg-config --exists libcurl || need libcurl4-openssl-dev
	pkg-config --exists cunit || need libcunit1-dev
	# Open MPI: the library and headers (pkg-config ompi-c), and mpirun, which starts the ranks.
	pkg-config --exists ompi-c || need libopenmpi-dev
else
	need libcurl4-openssl-dev
	need libcunit1-dev
	need libopenmpi-dev
fi
command -v mpirun >/dev/null 2>&1 || need openmpi-bin
# Can clang link a libFuzzer target? Its runtime is libclang-rt-<clang's major version>-dev
# (libclang-rt-dev, the default clang's, when clang itself is still to be installed).
fuzz_links() {
	out=$(mktemp) || return 1
	echo 'int LLVMFuzzerTestOneInput(const char *data, unsigned long size) { return 0; }' |
		clang -fsanitize=fuzzer -x c - -o "$out" >/dev/null 2>&1
	status=$?
	rm -f "$out"
	return $status
}
if $fuzz; then
	major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
	runtime=libclang-rt${major:+-$major}-dev
	packages="$packages $runtime"
	if ! command -v clang >/dev/null 2>&1 || ! fuzz_links; then
		need "$runtime"
	fi
fi

if [ -z "$missing" ]; then
	$quiet || echo "deps: everything is installed ($packages)"
	exit 0
fi
echo "deps: missing:$missing"

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: this is not a Debian-like system; install the equivalents of:" >&2
	echo "      $packages" >&2
	exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo="sudo"
else
	echo "deps: installing needs root; run this, then try again:" >&2
	echo "      sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# A new machine may have empty or stale package lists: install fails with "Unable to locate
# package" until they are refreshed, so refresh once and retry before giving up.
install() { $sudo apt-get install -y -q --no-install-recommends $missing; }
if ! install; then
	echo "deps: refreshing the package lists and trying again"
	$sudo apt-get update -q && install || {
		echo "deps: apt-get failed; the command was:" >&2
		echo "      ${sudo:+sudo }apt-get install -y --no-install-recommends$missing" >&2
		exit 1
	}
fi
echo "deps: installed:$missing"
