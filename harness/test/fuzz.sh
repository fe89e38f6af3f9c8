#!/bin/sh
# fuzz.sh: runs the request parser's fuzzer (fuzz_http.c) for a bounded time, then says in one
# line what it did and found. `make fuzz` and the kit's tests call it.
#
#   harness/test/fuzz.sh BINARY SECONDS OUTDIR
#
# The seeds in harness/test/fuzz_corpus/ and the tokens in fuzz_http.dict are only read; what
# the fuzzer learns goes to OUTDIR/corpus (kept, so the next run starts from there), a crashing
# input to OUTDIR/crashes/, libFuzzer's own output to OUTDIR/fuzz.log. Exits 0 only if the run
# ended with nothing found.
set -u
[ $# -eq 3 ] || { echo "usage: $0 BINARY SECONDS OUTDIR" >&2; exit 2; }
bin=$1 seconds=$2 out=$3
seeds=$(dirname "$0")/fuzz_corpus
dict=$(dirname "$0")/fuzz_http.dict
log=$out/fuzz.log
RSS_LIMIT_MB=${RSS_LIMIT_MB:-1024}

mkdir -p "$out/corpus" "$out/crashes" && : >"$out/.started" || exit 2
echo "fuzz: $bin for ${seconds} s (libFuzzer's output: $log)"
# -timeout: one input taking seconds is a bug too (the parser is linear); -max_len: the server
# never parses a head over 8 KiB.
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb="$RSS_LIMIT_MB" -max_len=8192 \
	-dict="$dict" -print_final_stats=1 -artifact_prefix="$out/crashes/" "$out/corpus" "$seeds" >"$log" 2>&1
status=$?

final() { sed -n "s/^stat::$1: *//p" "$log"; }
runs=$(final number_of_executed_units)
rate=$(final average_exec_per_sec)
rss=$(final peak_rss_mb)
found=$(find "$out/crashes" -type f -newer "$out/.started" | LC_ALL=C sort)
crashes=$(printf '%s' "$found" | grep -c .)

if [ "$status" -eq 0 ] && [ "$crashes" -eq 0 ]; then
	echo "fuzz: ok, ${runs:-?} inputs in ${seconds} s (${rate:-?}/s, peak ${rss:-?} MB), 0 crashes;" \
		"corpus $(find "$out/corpus" -type f | wc -l) inputs"
	exit 0
fi
# What went wrong, in libFuzzer's and the sanitizers' own words, then how to see it again.
grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_http:)|runtime error' "$log" | head -n 5
for f in $found; do
	echo "fuzz: reproduce with: $bin $f"
done
echo "fuzz: FAILED (exit $status) after ${runs:-?} inputs, $crashes crash file(s) in $out/crashes/"
exit 1
