#!/bin/sh
# run.sh: what `make bench` and `make plots` run, with a line of progress per step.
#
#   run.sh bench OUTDIR BENCH...     runs each benchmark program as `BENCH OUTDIR`
#   run.sh passed RESULTS LESSON     exit 0 if `make check` saw every test of LESSON pass, and
#                                    nothing in lessons/LESSON changed since; else says why
#   run.sh draw STAMP                draws every plots/*.gp whose data exists, then lists the
#                                    files written since STAMP was touched
#
# Run from the repository's top folder (make does). A benchmark that fails, or runs longer than
# LIMIT seconds, is reported and the others still run; the exit status then says so.
set -u
LIMIT=${LIMIT:-180}

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.1f s", (b - a) / 1e9 }'; }

# limited CMD...: CMD, stopped after LIMIT seconds if coreutils' timeout is there.
limited() {
	if command -v timeout >/dev/null 2>&1; then
		timeout "$LIMIT" "$@"
	else
		"$@"
	fi
}

bench() {
	outdir=$1
	shift
	mkdir -p "$outdir" || return 1
	failed=0
	for prog in "$@"; do
		name=$(basename "$prog")
		name=${name#bench_}
		start=$(now_ns)
		rm -f "$outdir/$name.csv" # a failed run must not leave an old chart looking new
		echo "bench $name: measuring"
		if limited "$prog" "$outdir"; then
			echo "bench $name: done, $(secs "$start")"
		else
			echo "bench $name: FAILED (exit $?) after $(secs "$start")" >&2
			failed=1
		fi
	done
	return $failed
}

passed() {
	results=$1 lesson=$2
	if [ ! -f "$results" ]; then
		echo "bench: your lesson $lesson has not been graded yet (make check): reference only"
		return 1
	fi
	summary=$(awk -F '\t' -v l="$lesson" '$1 == l { n++; if ($3 != "PASS") bad++ }
		END { printf "%d %d", n, bad }' "$results")
	total=${summary% *} bad=${summary#* }
	if [ "$total" -eq 0 ] || [ "$bad" -ne 0 ]; then
		echo "bench: your lesson $lesson does not pass make check yet: reference only"
		return 1
	fi
	for src in lessons/"$lesson"/*.c; do
		if [ -n "$(find "$src" -newer "$results")" ]; then
			echo "bench: $src changed since make check: grade it again to plot it" \
				"(make check L=${lesson%%-*})"
			return 1
		fi
	done
	echo "bench: your lesson $lesson passes: measuring it too"
}

draw() {
	stamp=$1
	if ! command -v gnuplot >/dev/null 2>&1; then
		echo "plots: gnuplot is not installed: make deps installs it" >&2
		return 1
	fi
	failed=0
	for gp in plots/*.gp; do
		[ -e "$gp" ] || continue
		name=$(basename "$gp" .gp)
		if [ ! -f "plots/data/$name.csv" ]; then
			echo "plot  $name: skipped, no plots/data/$name.csv (its benchmark did not run)"
			continue
		fi
		start=$(now_ns)
		if gnuplot "$gp"; then
			echo "plot  $name: plots/$name.png, plots/$name.svg, $(secs "$start")"
		else
			echo "plot  $name: FAILED (gnuplot $gp)" >&2
			failed=1
		fi
	done
	echo
	echo "Files written:"
	find plots -maxdepth 2 -type f -newer "$stamp" \( -name '*.png' -o -name '*.svg' \
		-o -name '*.csv' \) | sort | while read -r f; do
		printf '  %-28s %8s bytes\n' "$f" "$(wc -c <"$f")"
	done
	return $failed
}

what=${1:-}
[ $# -gt 0 ] && shift
case $what in
bench) bench "$@" ;;
passed) passed "$@" ;;
draw) draw "$@" ;;
*)
	echo "usage: run.sh bench OUTDIR BENCH... | passed RESULTS LESSON | draw STAMP" >&2
	exit 2
	;;
esac
