# kit-test-grades.sh: the parts of the kit's tests that try to make the grade wrong. Sourced by
# kit-test.sh (it uses that script's BUILD, T, GRADE, MAKE, record and mk).
#
# Each case builds a scratch implementation: a folder laid out like lessons/ holding only the
# files under test (IMPL=DIR takes every file it lacks from solutions/), so a case costs a
# compile of one file and a link, not a build of the kit.

# scratch NAME LESSON FILE SOURCE: makes $T/impl/NAME/LESSON/FILE, a copy of SOURCE; prints the dir.
scratch() {
	dir=$T/impl/$1
	rm -rf "$dir" && mkdir -p "$dir/$2" && cp "$4" "$dir/$2/$3" && echo "$dir"
}

# learner_file LESSON NAME: which of the lesson's learner files the wrong solution NAME replaces:
# the one whose name starts NAME (gather-join-in-loop replaces gather.c), or the only one.
learner_file() {
	files=$(cd "lessons/$1" && ls *.c | grep -v -e '^test_' -e '^bench_')
	for f in $files; do
		case "$2" in "${f%.c}"-*) echo "$f" && return ;; esac
	done
	[ "$(echo "$files" | wc -w)" -eq 1 ] && echo "$files"
}

# Every harness/wrong/LESSON/NAME.c is a mistake learners make; graded in place of its learner
# file as make check grades (plainly, under chaos, and for races), it must lose points. The
# grader stops at the first test that catches it (and says which), and time limits are cut to a
# third: a wrong solution that hangs costs seconds, not minutes.
wrong_solutions() {
	for f in harness/wrong/[0-9][0-9]-*/*.c; do
		[ -e "$f" ] || continue
		lesson=$(basename "$(dirname "$f")") name=$(basename "$f" .c)
		file=$(learner_file "$lesson" "$name")
		if [ -z "$file" ]; then
			record "not ok" wrong "$lesson/$name" "which file does it replace? name it <file>-<mistake>.c"
			continue
		fi
		dir=$(scratch "wrong-$lesson-$name" "$lesson" "$file" "$f")
		out=$T/wrong-$lesson-$name.log
		mk IMPL="$dir" L="$lesson" check-bins >"$out" 2>&1 # a wrong solution may not even build
		# As make check grades: plainly, under chaos and on a ThreadSanitizer build.
		# shellcheck disable=SC2046
		H_TIMEOUT_SCALE=0.34 timeout 300 "$GRADE" --mode check --first-failure --chaos 7 \
			$(mk -s IMPL="$dir" L="$lesson" print-check-args) >>"$out" 2>&1
		caught=$(sed -n 's/.*stopped at the first test that did not pass: \(.*\))$/\1/p' "$out")
		[ -z "$caught" ] && grep -q "did not build" "$out" && caught="(it does not build)"
		case "$name" in
		*includes-the-harness*)
			grep -q "lesson code may include only" "$out" || caught=""
			;;
		esac
		if [ -n "$caught" ]; then
			record ok wrong "$lesson/$name" "caught by $caught"
		else
			record "not ok" wrong "$lesson/$name" "got full marks (or the wrong verdict): its mistake is no longer caught; see $out"
		fi
	done
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
