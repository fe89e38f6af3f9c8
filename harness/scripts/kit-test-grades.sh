# kit-test-grades.sh: the parts of the kit's tests that try to make the grade wrong. Sourced by
# kit-test.sh (it uses that script's BUILD, T, GRADE, MAKE, record and mk).
#
# Each case builds a scratch implementation: a folder laid out like lessons/ holding only the
# files under test (IMPL=DIR takes every file it lacks from solutions/), so a case costs a
# compile of one file and a link, not a build of the kit.

# scratch NAME LESSON FILE SOURCE: makes $T/impl/NAME/LESSON/FILE, a copy of SOURCE, or if SOURCE
# is a .patch, solutions/LESSON/FILE with it applied; prints the dir (nothing if it cannot).
scratch() {
	dir=$T/impl/$1
	rm -rf "$dir" && mkdir -p "$dir/$2" || return 1
	case $4 in
	*.patch) patch -s -f -r - -o "$dir/$2/$3" "solutions/$2/$3" "$4" >/dev/null 2>&1 || return 1 ;;
	*) cp "$4" "$dir/$2/$3" || return 1 ;;
	esac
	echo "$dir"
}

# learner_file LESSON NAME: which of the lesson's learner files the wrong solution NAME replaces:
# the one whose name starts NAME (gather-join-in-loop replaces gather.c), or the only one.
learner_file() {
	files=$(cd "lessons/$1" && ls *.c | grep -v -e '^test_' -e '^bench_' -e '^prog_')
	for f in $files; do
		case "$2" in "${f%.c}"-*) echo "$f" && return ;; esac
	done
	[ "$(echo "$files" | wc -w)" -eq 1 ] && echo "$files"
}

# first_failure STATE DIR: the first test of DIR's rows in the grader's STATE that did not pass.
first_failure() {
	awk -F '\t' -v d="$2" '$1 == d && $3 != "PASS" && $3 != "SKIP" { print $2; exit }' "$1"
}

# grade_wrong LABEL RACE DIR...: builds the wrong solutions in DIR... in one make and grades them,
# stopping each at its first failed test; the state file it leaves says which test caught each.
# RACE 0: plain runs only. RACE 1: as make check grades, each test that passes plainly again
# under chaos and on a ThreadSanitizer build. Two graders share the work (odd and even DIRs):
# the tests mostly wait, so two at once take about half the time on two cores.
grade_wrong() {
	label=$1 race=$2
	shift 2
	wr=$([ "$race" = 1 ] && echo 1)
	mk -j2 WRONG_IMPLS="$*" WRONG_RACE="$wr" wrong-bins \
		>"$T/wrong-$label-build.log" 2>&1 # a wrong solution may not even build
	odd="" even="" n=0
	for dir in "$@"; do
		if [ $((n % 2)) -eq 0 ]; then odd="$odd $dir"; else even="$even $dir"; fi
		n=$((n + 1))
	done
	pids=""
	for half in 1 2; do
		part=$([ $half = 1 ] && echo "$odd" || echo "$even") # not dirs: the caller's (no locals in sh)
		rm -f "$T/wrong-$label-$half.tsv"
		[ -n "$part" ] || continue
		# shellcheck disable=SC2046,SC2086
		H_TIMEOUT_SCALE=0.34 timeout 900 "$GRADE" --mode check --first-failure \
			$([ "$race" = 1 ] && echo "--chaos 7") --state "$T/wrong-$label-$half.tsv" \
			$(mk -s WRONG_IMPLS="$part" WRONG_RACE="$wr" print-wrong-args) \
			>"$T/wrong-$label-$half.log" 2>&1 &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids # these two only: kit-test.sh runs another stream beside this one
	cat "$T/wrong-$label-1.tsv" "$T/wrong-$label-2.tsv" >"$T/wrong-$label.tsv" 2>/dev/null
}

# Every harness/wrong/LESSON/NAME.c (or NAME.patch, the mistake as a change to the reference
# solution) is a mistake learners make; graded in place of its learner
# file as make check grades, it must lose points. Time limits are cut to a third (one that
# hangs costs seconds, not minutes), and the grader stops each at the first test that catches
# it. Most are caught by a plain run; those that get through are graded again as make check
# grades, under chaos and with the race pass (running every test three ways from the start
# would triple the time for the same verdicts).
wrong_solutions() {
	dirs=""
	for f in harness/wrong/[0-9][0-9]-*/*.c harness/wrong/[0-9][0-9]-*/*.patch; do
		[ -e "$f" ] || continue
		lesson=$(basename "$(dirname "$f")") name=$(basename "${f%.*}")
		file=$(learner_file "$lesson" "$name")
		if [ -z "$file" ]; then
			record "not ok" wrong "$lesson/$name" "which file does it replace? name it <file>-<mistake>.c"
			continue
		fi
		if ! dir=$(scratch "wrong-$lesson-$name" "$lesson" "$file" "$f") || [ -z "$dir" ]; then
			record "not ok" wrong "$lesson/$name" "does not apply to solutions/$lesson/$file any more: remake it (see harness/wrong/README.md)"
			continue
		fi
		dirs="$dirs $dir"
	done
	[ -n "$dirs" ] || return 0
	# shellcheck disable=SC2086
	grade_wrong plain 0 $dirs
	again=""
	for dir in $dirs; do
		[ -n "$(first_failure "$T/wrong-plain.tsv" "$dir")" ] || again="$again $dir"
	done
	# shellcheck disable=SC2086
	[ -n "$again" ] && grade_wrong race 1 $again
	for dir in $dirs; do
		name=$(basename "$dir")
		caught=$(first_failure "$T/wrong-plain.tsv" "$dir")
		[ -z "$caught" ] && [ -f "$T/wrong-race.tsv" ] &&
			caught=$(first_failure "$T/wrong-race.tsv" "$dir") && [ -n "$caught" ] &&
			caught="$caught (chaos or race pass)"
		case "$name" in
		*includes-the-harness*)
			grep -q "$name.*lesson code may include only" "$T/wrong-plain-build.log" || caught=""
			;;
		esac
		if [ -n "$caught" ]; then
			record ok wrong "${name#wrong-}" "caught by $caught"
		else
			record "not ok" wrong "${name#wrong-}" "got full marks: its mistake is no longer caught; see $T/wrong-*.log"
		fi
	done
	# Every wrong solution has its line: a step that quietly judged fewer would prove less.
	want=$(find harness/wrong -path 'harness/wrong/[0-9][0-9]-*' \( -name '*.c' -o -name '*.patch' \) | wc -l)
	got=$(awk -F '\t' '$2 == "wrong"' "$LOG" | wc -l)
	[ "$got" -eq "$want" ] ||
		record "not ok" wrong count "$got verdicts for $want wrong solutions"
}

# expect LABEL WHAT FILE PATTERN: ok if FILE holds a line matching the extended regex PATTERN.
expect() {
	if grep -E -q -- "$4" "$3"; then
		record ok "$1" "$2" ""
	else
		record "not ok" "$1" "$2" "no line matching '$4' in $3"
	fi
}

grade_cases() {
	sol=solutions/03-semaphore/csem.c

	# A lesson that does not compile scores 0, and every other lesson keeps all its points.
	broken=$T/impl/broken-csem.c
	{ cat "$sol" && echo "this does not compile"; } >"$broken"
	dir=$(scratch broken 03-semaphore csem.c "$broken")
	out=$T/case-broken.log
	mk IMPL="$dir" RESULTS="$T/results-broken" RACE=0 CHAOS=0 check >"$out" 2>&1
	status=$?
	expect grades "a lesson that does not build scores 0" "$out" '^  03-semaphore +(.\[[0-9;]*m)? *0/12'
	if [ "$status" -ne 0 ] && awk '/^Score by lesson/ { on = 1; next } /^Score:/ { on = 0 }
		on && $1 != "03-semaphore" { split($2, p, "/"); gsub(/[^0-9]/, "", p[1]); gsub(/[^0-9]/, "", p[2]);
			if (p[1] != p[2]) bad = 1; n++ } END { exit bad || n < 1 }' "$out"; then
		record ok grades "the other lessons keep their points" ""
	else
		record "not ok" grades "the other lessons keep their points" "see $out"
	fi

	# A stale binary is never graded: graded once as correct, then broken, it scores 0.
	dir=$(scratch stale 03-semaphore csem.c "$sol")
	out=$T/case-stale.log
	mk IMPL="$dir" L=03 RESULTS="$T/results-stale" RACE=0 CHAOS=0 check >"$out" 2>&1
	echo "this does not compile" >>"$dir/03-semaphore/csem.c"
	mk IMPL="$dir" L=03 RESULTS="$T/results-stale" RACE=0 CHAOS=0 check >>"$out" 2>&1
	expect grades "the first check scores 12/12" "$out" '^Score: 12/12'
	expect grades "a stale binary is not graded" "$out" 'did not build: the compiler'
	expect grades "after the break it scores 0/12" "$out" '^Score: 0/12'

	# A lesson whose tests cannot be listed is a failure with a reason, never a quiet pass.
	out=$T/case-unlisted.log
	# shellcheck disable=SC2046
	if "$GRADE" --mode check $(mk -s IMPL=solutions L=01 print-grade-args) \
		--lesson 02-http "$T/no-such-list" "$T/no-such-bin" - >"$out" 2>&1; then
		record "not ok" grades "a lesson that cannot be listed fails the check" "exit 0: see $out"
	else
		expect grades "a lesson that cannot be listed fails the check" "$out" 'cannot be graded'
	fi

	# Two checks at once in one fresh build folder: both build, both grade right.
	rm -rf "$T/concurrent"
	for i in 1 2; do
		$MAKE --no-print-directory BUILD="$T/concurrent" IMPL=solutions L=01 RACE=0 CHAOS=0 check \
			>"$T/case-concurrent-$i.log" 2>&1 &
	done
	wait
	for i in 1 2; do
		expect grades "concurrent check $i" "$T/case-concurrent-$i.log" '^11 passed, 0 failed$'
	done

	# A test that cannot run here (one CPU) is a SKIP, shown as such, and not a failure.
	out=$T/case-skip.log
	if command -v taskset >/dev/null 2>&1; then
		# shellcheck disable=SC2046
		taskset -c 0 "$GRADE" --mode check --only tpool_cpu_speedup \
			$(mk -s IMPL=solutions L=05 print-grade-args) >"$out" 2>&1
		expect grades "a test that cannot run on one CPU is a SKIP" "$out" 'SKIP .*not counted'
		expect grades "and not a failure" "$out" '^0 passed, 0 failed, 1 skipped$'
	fi

	# A build folder that cannot be written says what to do, in one line.
	out=$T/case-readonly.log
	mk BUILD=/proc/conclab check >"$out" 2>&1
	expect grades "an unwritable build folder says BUILD=" "$out" 'cannot write .*BUILD='
}
