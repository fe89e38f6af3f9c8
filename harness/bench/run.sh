#!/bin/sh
# run.sh: what `make bench` and `make plots` run, with a line of progress per step.
#
#   run.sh bench OUTDIR RESULTS STAMP REF_BENCH... -- YOUR_BENCH...
#                  touches STAMP, runs each reference benchmark as `BENCH OUTDIR`, then each of
#                  the learner's as `BENCH OUTDIR yours` if `make check` (RESULTS) saw every test
#                  of its lesson pass and nothing in that lesson changed since
#   run.sh draw STAMP
#                  draws every plots/*.gp whose data exists, then lists the files written since
#                  STAMP was touched, and how long it all took
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

# run_one PROG OUTDIR [yours]: one benchmark, with its time; 1 if it failed.
run_one() {
	prog=$1 outdir=$2
	shift 2
	name=$(basename "$prog")
	name=${name#bench_}${1:+-yours}
	start=$(now_ns)
	rm -f "$outdir/$name.csv" # a failed run must not leave an old chart looking new
	echo "bench $name: measuring"
	if limited "$prog" "$outdir" "$@"; then
		echo "bench $name: done, $(secs "$start")"
	else
		echo "bench $name: FAILED (exit $?) after $(secs "$start")" >&2
		return 1
	fi
}

# passed RESULTS LESSON: 0 if make check saw every test of LESSON pass, and nothing in
# lessons/LESSON changed since; otherwise says why not.
passed() {
	results=$1 lesson=$2
	if [ ! -f "$results" ]; then
		echo "bench: your lesson $lesson has not been graded yet (make check): reference only"
		return 1
	fi
	summary=$(awk -F '\t' -v l="$lesson" '$1 == l { n++; if ($3 != "PASS" && $3 != "SKIP") bad++ }
		END { printf "%d %d", n, bad }' "$results")
	total=${summary% *} bad=${summary#* }
	if [ "$total" -eq 0 ] || [ "$bad" -ne 0 ]; then
		echo "bench: your lesson $lesson does not pass make check yet: reference only"
		return 1
	fi
	for src in lessons/"$lesson"/*.c lessons/"$lesson"/*.h; do
		if [ -n "$(find "$src" -newer "$results")" ]; then
			echo "bench: $src changed since make check: grade it again to plot it" \
				"(make check L=${lesson%%-*})"
			return 1
		fi
	done
	echo "bench: your lesson $lesson passes: measuring it too"
}

bench() {
	outdir=$1 results=$2 stamp=$3
	shift 3
	mkdir -p "$outdir" "$(dirname "$stamp")" || return 1
	date +%s%N >"$stamp"
	failed=0
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		run_one "$1" "$outdir" || failed=1
		shift
	done
	[ $# -gt 0 ] && shift
	# The learner's series are extra: one that does not run leaves the reference charts alone.
	for prog in "$@"; do
		lesson=$(basename "$(dirname "$prog")")
		csv=$outdir/$(basename "$prog" | sed 's/^bench_//')-yours.csv
		rm -f "$csv"
		if passed "$results" "$lesson" && [ -x "$prog" ]; then
			LIMIT=60 run_one "$prog" "$outdir" yours 2>&1 || {
				rm -f "$csv" # half a series would only confuse the chart
				echo "bench: your $lesson did not run to its end here: reference only"
			}
		fi
	done | awk '!seen[$0]++' # a lesson with two benchmarks says once that it passes
	return $failed
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
		# A kit without the reference solutions (make handout) draws the learner's series alone.
		if [ ! -f "plots/data/$name.csv" ] && [ ! -f "plots/data/$name-yours.csv" ]; then
			if [ -d solutions ]; then
				echo "plot  $name: skipped, no plots/data/$name.csv (its benchmark did not run)"
			else
				echo "plot  $name: skipped, no plots/data/$name-yours.csv (the reference is" \
					"not included in this kit: its lesson must pass make check first)"
			fi
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
	echo "make plots: $(secs "$(cat "$stamp")")${failed:+}$([ "$failed" -ne 0 ] && echo ", with failures (see above)")"
	return $failed
}

what=${1:-}
[ $# -gt 0 ] && shift
case $what in
bench) bench "$@" ;;
draw) draw "$@" ;;
*)
	echo "usage: run.sh bench OUTDIR RESULTS STAMP BENCH... -- BENCH... | draw STAMP" >&2
	exit 2
	;;
esac
