#!/bin/sh
# deps.sh: install what conclab needs to build and plot, or say exactly how to.
#
# Debian and Ubuntu only (apt-get). Runs apt-get itself when it is root or may use sudo without
# a password; otherwise it prints the one command to run and exits 1. Installs with
# --no-install-recommends: the packages' recommends would drag in about forty more.
set -u

packages="make gcc clang libc6-dev pkg-config libcurl4-openssl-dev libcunit1-dev gnuplot-nox"

missing=""
need() { missing="$missing $1"; }
command -v make >/dev/null 2>&1 || need make
command -v gcc >/dev/null 2>&1 || need gcc
command -v clang >/dev/null 2>&1 || need clang
command -v pkg-config >/dev/null 2>&1 || need pkg-config
command -v gnuplot >/dev/null 2>&1 || need gnuplot-nox
[ -e /usr/include/pthread.h ] || need libc6-dev
if command -v pkg-config >/dev/null 2>&1; then
	pkg-config --exists libcurl || need libcurl4-openssl-dev
	pkg-config --exists cunit || need libcunit1-dev
else
	need libcurl4-openssl-dev
	need libcunit1-dev
fi

if [ -z "$missing" ]; then
	echo "deps: everything is installed ($packages)"
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
