#!/bin/sh
# check-reference.sh: draws every chart from the committed reference data (plots/reference/*.csv)
# in a scratch folder, and fails if a chart has no data there, if gnuplot fails, or if it prints
# anything (a warning is a chart that is quietly wrong).
#
#   harness/bench/check-reference.sh
#
# Run from the repository's top folder. The charts read plots/data/, so the scratch folder gets
# a plots/ of its own: the scripts, and the reference CSVs as its data. Nothing under plots/ in
# the repository is written. Its exit status is the number of charts that failed (0: all drew).
set -u

if ! command -v gnuplot >/dev/null 2>&1; then
	echo "check-reference: gnuplot is not installed: make deps installs it" >&2
	exit 1
fi
scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT INT TERM
mkdir -p "$scratch/plots/data" || exit 1
cp plots/*.gp plots/style.gpi "$scratch/plots/" || exit 1
[ -d plots/python ] && cp -r plots/python "$scratch/plots/"
cp plots/reference/*.csv "$scratch/plots/data/" || exit 1

failed=0
for gp in plots/*.gp; do
	name=$(basename "$gp" .gp)
	if [ ! -f "plots/reference/$name.csv" ]; then
		echo "check-reference: $name: no plots/reference/$name.csv" >&2
		failed=$((failed + 1))
		continue
	fi
	# The same folder layout as make plots: gnuplot runs from the top folder.
	if out=$(cd "$scratch" && gnuplot "plots/$name.gp" 2>&1) && [ -z "$out" ] &&
		[ -s "$scratch/plots/$name.png" ] && [ -s "$scratch/plots/$name.svg" ]; then
		echo "check-reference: $name: drawn from plots/reference/$name.csv"
	else
		echo "check-reference: $name: FAILED" >&2
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /' >&2
		failed=$((failed + 1))
	fi
done
exit $failed
