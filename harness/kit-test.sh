#!/bin/sh
# kit-test.sh: the kit's own tests; `make test` runs it, and CI runs `make test`.
#
# It builds every variant, then checks that:
#   - the harness's fixtures get the verdicts they declare (a hang is TIMEOUT, a segfault CRASH...)
#     and the harness's unit tests pass;
#   - every lesson's reference solution passes every graded test;
#   - every lesson's untouched stub FAILS every graded test (a test a stub passes proves nothing);
#   - the solutions pass again under ThreadSanitizer and under AddressSanitizer + UBSan, with no
#     report from either;
#   - the code builds with clang too, and is clang-format clean.
# Each check is a line "ok" or "not ok" in build/test/results.log; the last line printed is the
# grader's "N passed, M failed", and the exit status is 0 only if nothing failed.
set -u
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
LOG=$BUILD/test/results.log
GRADE=$BUILD/solutions/harness/grade
start=$(date +%s)

mkdir -p "$BUILD/test" && : >"$LOG" || exit 2

elapsed() { echo $(($(date +%s) - start)); }
step() { printf '\n== %s (%ss so far)\n' "$*" "$(elapsed)"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$LOG"; }

# build LABEL MAKE-ARGS...: one variant; a failure is recorded, and its log's end shown.
build() {
	label=$1
	shift
	if $MAKE --no-print-directory -j2 "$@" build-all >"$BUILD/test/build-$label.log" 2>&1; then
		record ok build "$label" ""
	else
		record "not ok" build "$label" "does not build: see $BUILD/test/build-$label.log"
		tail -n 20 "$BUILD/test/build-$label.log"
	fi
}

# binaries VARIANT: the lesson test binaries of a variant, in lesson order.
# A lesson's binary is named after its first test file in sorted order, test_topic.c (its
# test_topic_part.c files, if any, are linked into the same binary).
binaries() {
	for dir in lessons/[0-9][0-9]-*/; do
		lesson=$(basename "$dir")
		src=$(ls "$dir"test_*.c 2>/dev/null | LC_ALL=C sort | head -n 1)
		[ -n "$src" ] && printf '%s ' "$BUILD/$1/$lesson/$(basename "$src" .c)"
	done
}

# grade LABEL MODE BINARY...
grade() {
	label=$1 mode=$2
	shift 2
	"$GRADE" --mode "$mode" --label "$label" --log "$LOG" --tsv "$BUILD/test/$label.tsv" "$@" ||
		record "not ok" "$label" grader "the grader itself failed"
}

step "building: gcc, clang, ThreadSanitizer, AddressSanitizer + UBSan"
build gcc-solutions IMPL=solutions
build gcc-stubs IMPL=lessons
build clang-solutions IMPL=solutions CC=clang
build clang-stubs IMPL=lessons CC=clang
build tsan IMPL=solutions SAN=thread
build asan IMPL=solutions SAN=address
# The benchmarks call the reference solutions: a changed header must not break make plots.
if $MAKE --no-print-directory -j2 IMPL=solutions bench-bins >"$BUILD/test/build-bench.log" 2>&1; then
	record ok build bench ""
else
	record "not ok" build bench "does not build: see $BUILD/test/build-bench.log"
	tail -n 20 "$BUILD/test/build-bench.log"
fi
[ -x "$GRADE" ] || { echo "kit-test: the grader did not build; nothing more to run"; exit 1; }

step "the harness: fixtures that misbehave on purpose, and its unit tests"
grade harness solution "$BUILD"/solutions/harness/test_*

step "the reference solutions: every test must pass"
# shellcheck disable=SC2046
grade solutions solution $(binaries solutions)

step "the untouched stubs: every graded test must fail"
# shellcheck disable=SC2046
grade stubs stub $(binaries lessons)

# harness_bins VARIANT: the harness's own tests that also run under the sanitizers (the
# fixtures do not: they misbehave on purpose, and limits work differently there).
harness_bins() {
	for src in harness/test/test_*.c; do
		t=$(basename "$src" .c)
		[ "$t" = test_fixtures ] || printf '%s ' "$BUILD/$1/harness/$t"
	done
}

step "the solutions under ThreadSanitizer"
# shellcheck disable=SC2046
grade tsan solution $(harness_bins solutions-thread) $(binaries solutions-thread)

step "the solutions under AddressSanitizer + UBSan"
# shellcheck disable=SC2046
grade asan solution $(harness_bins solutions-address) $(binaries solutions-address)

# ---- latencyd under clang: its tests under clang's UBSan, a short fuzz of its request parser ----
# clang's UBSan flags what gcc's does not (NULL + 0, for one). The fuzz is bounded (FUZZ_SECONDS,
# 30 by default) and needs clang's libFuzzer: `harness/deps.sh fuzz` installs it.
step "latencyd under clang's AddressSanitizer + UBSan, and ${FUZZ_SECONDS:-30} s of fuzzing its parser"
if $MAKE --no-print-directory -j2 IMPL=solutions SAN=address CC=clang harness-tests \
	>"$BUILD/test/build-clang-asan.log" 2>&1; then
	record ok build clang-asan-latencyd ""
	grade clang-ubsan solution "$BUILD"/solutions-address-clang/harness/test_latencyd*
else
	record "not ok" build clang-asan-latencyd "does not build: see $BUILD/test/build-clang-asan.log"
	tail -n 20 "$BUILD/test/build-clang-asan.log"
fi
if $MAKE --no-print-directory fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}" >"$BUILD/test/fuzz.log" 2>&1; then
	record ok fuzz http-parser ""
	tail -n 1 "$BUILD/test/fuzz.log"
else
	record "not ok" fuzz http-parser "$(tail -n 1 "$BUILD/test/fuzz.log") (see $BUILD/test/fuzz.log)"
	tail -n 8 "$BUILD/test/fuzz.log"
fi

step "style"
if command -v clang-format >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h' 2>/dev/null)
	if [ -n "$files" ] && ! clang-format --dry-run -Werror $files >"$BUILD/test/format.log" 2>&1; then
		record "not ok" style clang-format "not formatted: run make format ($BUILD/test/format.log)"
	else
		record ok style clang-format ""
	fi
fi

printf '\n== done in %ss\n' "$(elapsed)"
exec "$GRADE" --summary "$LOG"
