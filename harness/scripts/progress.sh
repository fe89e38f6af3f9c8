#!/bin/sh
# progress.sh [--next] RESULTS LESSON LIST BIN [LESSON LIST BIN ...]: where the learner stands
# (`make progress`): each lesson, its points, its last result and whether it is stale, then the
# next thing to do.
#
# RESULTS is make check's results.tsv, which keeps every lesson's latest results (make check
# L=03 replaces lesson 03's rows and keeps the others'). LIST is the lesson's list binary (its
# tests and points, from the test files alone); BIN its test binary, built from the learner's
# code. A lesson is stale when one of its files changed after its binary was built, or when it
# was built again and not graded since: its last result is then older than its code.
#
# Run from the repository's top folder (make does).
set -u
next_only=false
if [ "${1:-}" = "--next" ]; then # only the last line, "Next: ...", for make check to end with
	next_only=true
	shift
fi
results=${1:-}
[ -n "$results" ] && shift || {
	echo "usage: $0 RESULTS LESSON LIST BIN..." >&2
	exit 2
}

# newer A B: 0 if file A was modified after file B.
newer() { [ -n "$(find "$1" -newer "$2" 2>/dev/null)" ]; }

# stale LESSON BIN: 0 if the lesson's results (if any) are older than its code.
stale() {
	[ -f "$results" ] || return 1
	for src in lessons/"$1"/*.c lessons/"$1"/*.h; do
		[ -e "$src" ] || continue
		case $(basename "$src") in test_* | bench_* | prog_*) continue ;; esac
		if [ -f "$2" ]; then
			newer "$src" "$2" && return 0
		else
			newer "$src" "$results" && return 0 # it did not build: compare with the grading
		fi
	done
	[ -f "$2" ] && newer "$2" "$results" && return 0
	return 1
}

# row ...: a line of the table (not with --next).
row() { $next_only || printf '%-16s %7s  %s\n' "$@"; }
row lesson points "last result"
total=0 total_max=0 next="" all_done=true
while [ $# -ge 3 ]; do
	lesson=$1 list=$2 bin=$3
	shift 3
	# Its tests' points from the list binary (name, points... one line a test).
	max=$("$list" --manifest 2>/dev/null | awk -F '\t' '{ s += $2 } END { print s + 0 }')
	# Its rows in the results: earned, possible, tests, failed, skipped, first failure.
	summary=""
	[ -f "$results" ] && summary=$(awk -F '\t' -v l="$lesson" '$1 == l {
			n++; got += $4; max += $5
			if ($3 == "SKIP") skip++
			else if ($3 != "PASS") { bad++; if (first == "") first = $2 }
		} END { if (n) printf "%d %d %d %d %d %s", got, max, n, bad, skip, first }' "$results")
	if [ -z "$summary" ]; then
		row "$lesson" "-/$max" "not graded yet"
		total_max=$((total_max + max))
		all_done=false
		[ -z "$next" ] && next="Start lesson $lesson: read lessons/$lesson/README.md, then make check L=${lesson%%-*}"
		continue
	fi
	set -- $summary "$@"
	got=$1 gmax=$2 n=$3 bad=$4 skip=$5
	shift 5
	first=""
	if [ "$bad" -gt 0 ]; then
		first=$1
		shift
	fi
	total=$((total + got)) total_max=$((total_max + gmax))
	if [ "$bad" -eq 0 ]; then
		result="passed"
	else
		result="$bad of $n tests failed (first: $first)"
	fi
	[ "$skip" -gt 0 ] && result="$result, $skip skipped"
	if stale "$lesson" "$bin"; then
		result="$result; stale: changed since, grade it again"
		all_done=false
		[ -z "$next" ] && next="Lesson $lesson changed since it was graded: make check L=${lesson%%-*}"
	fi
	if [ "$bad" -gt 0 ]; then
		all_done=false
		[ -z "$next" ] && next="Lesson $lesson: make it pass $first (make check L=${lesson%%-*} T=$first V=1 shows its whole output; make hint L=${lesson%%-*} for a hint)"
	fi
	row "$lesson" "$got/$gmax" "$result"
done
$next_only || printf '%-16s %7s\n' total "$total/$total_max"
$next_only || echo
if $all_done; then
	echo "Next: every lesson passes. make plots measures your code and draws it beside the reference's."
else
	echo "Next: $next"
fi
