#!/bin/sh
# kit-test.sh: the kit's own tests; `make test` runs it, and CI runs `make test`.
#
# It builds every toolchain, then checks that:
#   - the harness's fixtures get the verdicts they declare (a hang is TIMEOUT, a segfault CRASH,
#     a test holds no descriptor but its own...) and the harness's unit tests pass;
#   - every lesson's reference solution passes every graded test;
#   - every lesson's untouched stub FAILS every graded test (a test a stub passes proves nothing);
#   - the solutions pass again under ThreadSanitizer and under AddressSanitizer + UBSan;
#   - the kit's wrong solutions (harness/wrong/) each lose points, among them learner files
#     that try to forge their grade, hang or exit in a constructor, or include the harness;
#   - the grade cannot be made wrong: a lesson that does not build scores 0 and no other lesson
#     loses anything, a stale binary is never graded, a lesson that cannot be listed is a
#     failure, two checks at once both grade right, a test that cannot run here is a SKIP;
#   - the Gradescope zip grades a correct, a partial and a broken submission right, and in the
#     student hand-out (no solutions/) check, progress, hint, reset, watch and plots work;
#   - latencyd links neither CUnit nor libcurl; the code builds with clang too, and is
#     clang-format clean.
# Each check is a line "ok" or "not ok" in build/test/results.log; the last line printed is the
# grader's "N passed, M failed", and the exit status is 0 only if nothing failed.
set -u
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
# The reference solutions run under the chaos scheduler with seeds CHAOS_SEED (plain build),
# CHAOS_SEED + 1 (ThreadSanitizer) and + 2 (AddressSanitizer); make stress gives each run its own.
CHAOS_SEED=${CHAOS_SEED:-1}
case $CHAOS_SEED in '' | *[!0-9]*) echo "kit-test: CHAOS_SEED must be a number" >&2 && exit 2 ;; esac
T=$BUILD/test
LOG=$T/results.log
start=$(date +%s)

if [ ! -d solutions ]; then
	echo "make test checks the kit against its reference solutions, and this copy has none (a hand-out): make check grades your lessons" >&2
	exit 2
fi
mkdir -p "$T" && : >"$LOG" || exit 2

elapsed() { echo $(($(date +%s) - start)); }
step() { printf '\n== %s (%ss so far)\n' "$*" "$(elapsed)"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$LOG"; }
mk() { $MAKE --no-print-directory BUILD="$BUILD" "$@"; }

# build LABEL MAKE-ARGS...: one variant; a failure is recorded, and its log's end shown.
build() {
	label=$1
	shift
	if mk -j2 "$@" build-all >"$T/build-$label.log" 2>&1; then
		record ok build "$label" ""
	else
		record "not ok" build "$label" "does not build: see $T/build-$label.log"
		tail -n 20 "$T/build-$label.log"
	fi
}

GRADE=$(mk -s print-bin)

# grade LABEL MODE MAKE-ARGS... -- GRADE-ARGS...: the lessons of that variant, in MODE.
grade() {
	label=$1 mode=$2
	shift 2
	args=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		args="$args $1"
		shift
	done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	"$GRADE" --mode "$mode" --label "$label" --log "$LOG" "$@" $(mk -s $args print-grade-args) ||
		record "not ok" "$label" grader "the grader itself failed"
}

# harness_lessons VARIANT-ARGS...: --lesson for each of the harness's own test binaries (the
# fixtures only in a plain build: they misbehave on purpose, and limits differ under sanitizers).
harness_lessons() {
	for bin in $(mk -s "$@" print-harness-tests); do
		case "$*" in *SAN=*) [ "$(basename "$bin")" = test_fixtures ] && continue ;; esac
		printf -- '--lesson harness/%s - %s - ' "$(basename "$bin")" "$bin"
	done
}

step "building: gcc, clang, ThreadSanitizer, AddressSanitizer + UBSan"
build gcc-solutions IMPL=solutions
build gcc-stubs IMPL=lessons
build clang-solutions IMPL=solutions CC=clang
build clang-stubs IMPL=lessons CC=clang
build tsan IMPL=solutions SAN=thread
build asan IMPL=solutions SAN=address
# The benchmarks join the reference solutions and the learner's code: both must build.
if mk -j2 bench-build >"$T/build-bench.log" 2>&1; then
	record ok build bench ""
else
	record "not ok" build bench "does not build: see $T/build-bench.log"
	tail -n 20 "$T/build-bench.log"
fi
[ -x "$GRADE" ] || { echo "kit-test: the grader did not build; nothing more to run"; exit 1; }

# Two streams side by side: the tests mostly wait (a run of them all uses the CPUs less than half
# the time), and the kit must pass beside a busy machine anyway (make stress runs it beside two
# CPU hogs). The second stream's output is shown when it is done, whole.
plain_stream() {
	step "the harness: fixtures that misbehave on purpose, and its unit tests"
	# shellcheck disable=SC2046
	"$GRADE" --mode solution --label harness --log "$LOG" $(harness_lessons) ||
		record "not ok" harness grader "the grader itself failed"

	step "the reference solutions: every test must pass, plainly and under the chaos scheduler"
	grade solutions solution IMPL=solutions -- --chaos "$CHAOS_SEED"

	step "the untouched stubs: every graded test must fail"
	grade stubs stub IMPL=lessons

	step "the kit's wrong solutions: each must lose points"
	. harness/scripts/kit-test-grades.sh
	wrong_solutions
}

second_stream() {
	step "the solutions under ThreadSanitizer"
	# shellcheck disable=SC2046
	"$GRADE" --mode solution --label tsan --log "$LOG" --sanitized --slow 3 \
		$(harness_lessons SAN=thread) || record "not ok" tsan grader "the grader itself failed"
	grade tsan solution IMPL=solutions SAN=thread -- --sanitized --slow 3 --chaos $((CHAOS_SEED + 1))

	step "the solutions under AddressSanitizer + UBSan"
	# shellcheck disable=SC2046
	"$GRADE" --mode solution --label asan --log "$LOG" --sanitized --slow 3 \
		$(harness_lessons SAN=address) || record "not ok" asan grader "the grader itself failed"
	grade asan solution IMPL=solutions SAN=address -- --sanitized --slow 3 --chaos $((CHAOS_SEED + 2))

	step "grades that cannot be made wrong"
	. harness/scripts/kit-test-grades.sh
	grade_cases

	step "MPI across hosts made as network namespaces, where this machine allows them"
	# Lesson 10's reference map, static and dynamic, as 6 ranks on 3 hosts that talk over TCP
	# (harness/scripts/mpi-hosts.sh): right results in order, and every computing rank did a share.
	# A machine that cannot make namespaces (not root, a container that forbids them) skips this,
	# and says why; the lesson's own tests run on local ranks everywhere.
	if reason=$(harness/scripts/mpi-hosts.sh check); then
		for prog in "$BUILD"/gcc/solutions/[0-9][0-9]-*/prog_rmap; do
			[ -x "$prog" ] || continue
			for kind in static dynamic; do
				out=$T/hosts-$kind.out
				rm -f "$out"
				timeout 60 harness/scripts/mpi-hosts.sh run 3 2 "$prog" "$out" "$kind" 60 2 uneven 1 \
					>"$T/hosts-$kind.log" 2>&1
				first=$([ "$kind" = dynamic ] && echo 1 || echo 0)
				if [ -f "$out" ] && awk -v first="$first" '
					$1 == "rank" { ranks++; if ($4 != 0 || ($3 >= first && $5 < 1)) bad = 1 }
					$1 == "out" { if ($3 != 3 * $2 * $2 + 7) bad = 1; n++ }
					$1 == "end" { end = 1 }
					END { exit !(end && !bad && ranks == 6 && n == 60) }' "$out"; then
					record ok mpi-hosts "$kind map on 6 ranks over 3 namespace hosts" ""
				else
					record "not ok" mpi-hosts "$kind map on 6 ranks over 3 namespace hosts" \
						"see $T/hosts-$kind.log and $out"
				fi
			done
		done
	else
		echo "skipped: $reason"
	fi

	step "latencyd stands alone"
	latencyd=$(mk -s print-latencyd)
	if [ -x "$latencyd" ] && ! ldd "$latencyd" | grep -E -q 'libcunit|libcurl'; then
		record ok latencyd links "neither CUnit nor libcurl"
	else
		record "not ok" latencyd links "$latencyd is missing or links CUnit or libcurl: $(ldd "$latencyd" 2>&1 | grep -E 'cunit|curl' | tr '\n' ' ')"
	fi

	# ---- latencyd under clang: its tests under clang's UBSan, a short fuzz of its request parser ----
	# clang's UBSan flags what gcc's does not (NULL + 0, for one). The fuzz is bounded (FUZZ_SECONDS,
	# 30 by default) and needs clang's libFuzzer: `harness/scripts/deps.sh fuzz` installs it.
	step "latencyd under clang's AddressSanitizer + UBSan, and ${FUZZ_SECONDS:-30} s of fuzzing its parser"
	if mk -j2 IMPL=solutions SAN=address CC=clang harness-tests >"$T/build-clang-asan.log" 2>&1; then
		record ok build clang-asan-latencyd ""
		lessons=""
		for bin in $(mk -s SAN=address CC=clang print-harness-tests); do
			case "$(basename "$bin")" in test_latencyd*) lessons="$lessons --lesson harness/$(basename "$bin") - $bin -" ;; esac
		done
		# shellcheck disable=SC2086
		"$GRADE" --mode solution --label clang-ubsan --log "$LOG" --sanitized --slow 3 $lessons ||
			record "not ok" clang-ubsan grader "the grader itself failed"
	else
		record "not ok" build clang-asan-latencyd "does not build: see $T/build-clang-asan.log"
		tail -n 20 "$T/build-clang-asan.log"
	fi
	if mk fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}" >"$T/fuzz.log" 2>&1; then
		record ok fuzz http-parser ""
		tail -n 1 "$T/fuzz.log"
	else
		record "not ok" fuzz http-parser "$(tail -n 1 "$T/fuzz.log") (see $T/fuzz.log)"
		tail -n 8 "$T/fuzz.log"
	fi

	step "the kit handed out: a Gradescope zip grading three submissions, and the student hand-out"
	. harness/scripts/kit-test-deploy.sh
	deploy_cases
}

echo "(the sanitizer passes, the grade cases, latencyd's checks and the hand-out run beside these: their output follows)"
second_stream >"$T/second-stream.out" 2>&1 &
sanitizers=$!
plain_stream
wait "$sanitizers"
cat "$T/second-stream.out"

step "the lessons' headers: no two define the same thing"
# One program that includes every lesson's header (and lessons/common/), with the pkg-config
# modules the lessons name, must compile: a type that two lessons both define would be a
# redefinition.
{
	for h in lessons/common/*.h lessons/[0-9][0-9]-*/*.h; do
		case "$(basename "$h")" in test_*) ;; *) printf '#include "%s"\n' "$h" ;; esac
	done
	echo 'int main(void) { return 0; }'
} >"$T/all_headers.c"
# shellcheck disable=SC2046
if cc -std=c17 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I. -Ilessons/common \
	$(for d in lessons/[0-9][0-9]-*/; do printf -- '-I%s ' "$d"; done) $(pkg-config --cflags libcurl $(cat lessons/*/pkgs 2>/dev/null)) \
	-fsyntax-only "$T/all_headers.c" >"$T/all_headers.log" 2>&1; then
	record ok headers "every lesson header in one program" ""
else
	record "not ok" headers "every lesson header in one program" "$(head -n 3 "$T/all_headers.log" | tr '\n' ' ')"
fi

step "the charts: each draws from the committed reference data alone"
if command -v gnuplot >/dev/null 2>&1; then
	if harness/bench/check-reference.sh >"$T/charts.log" 2>&1; then
		record ok charts reference "every plots/*.gp draws from plots/reference/*.csv"
	else
		record "not ok" charts reference "$(grep -v 'drawn from' "$T/charts.log" | head -n 3 | tr '\n' ' ')(see $T/charts.log)"
	fi
fi

step "style"
if command -v clang-format >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h' 2>/dev/null)
	if [ -n "$files" ] && ! clang-format --dry-run -Werror $files >"$T/format.log" 2>&1; then
		record "not ok" style clang-format "not formatted: run make format ($T/format.log)"
	else
		record ok style clang-format ""
	fi
fi

printf '\n== done in %ss\n' "$(elapsed)"
exec "$GRADE" --summary "$LOG"
