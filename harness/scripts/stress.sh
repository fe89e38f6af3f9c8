#!/bin/sh
# stress.sh [RUNS]: make test RUNS times (default 10), the second half beside two CPU hogs that
# this script starts and stops itself, each run with chaos seeds of its own, and then how often
# each check failed. A kit whose tests are right passes every run: a check that fails now and
# then is flaky, and must be fixed at its cause.
set -u
runs=${1:-10}
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
dir=$BUILD/stress
hogs=""

stop_hogs() {
	[ -n "$hogs" ] && kill $hogs 2>/dev/null
	hogs=""
}
trap 'stop_hogs; exit 130' INT TERM
trap stop_hogs EXIT

mkdir -p "$dir" && rm -f "$dir"/run-*.log
for i in $(seq 1 "$runs"); do
	if [ "$i" -gt $((runs / 2)) ] && [ -z "$hogs" ]; then
		echo "stress: from run $i on, two CPU hogs run beside the tests"
		for _ in 1 2; do
			# Bounded: each hog stops by itself after an hour if this script is killed.
			timeout 3600 sh -c 'while :; do :; done' &
			hogs="$hogs $!"
		done
	fi
	start=$(date +%s)
	# Seeds of their own in each run (1, 2, 3 in the first, as in CI; then 4, 5, 6...): ten runs
	# try the reference solutions under thirty schedules of the chaos scheduler.
	CHAOS_SEED=$((3 * i - 2)) BUILD=$BUILD MAKE=$MAKE harness/scripts/kit-test.sh >"$dir/run-$i.out" 2>&1
	status=$?
	cp "$BUILD/test/results.log" "$dir/run-$i.log"
	echo "stress: run $i of $runs: $(tail -n 1 "$dir/run-$i.out") (exit $status, $(($(date +%s) - start)) s)"
done
stop_hogs

echo
echo "Checks that failed, and in how many of $runs runs:"
cat "$dir"/run-*.log | awk -F '\t' '$1 == "not ok" { n[$2 "\t" $3]++ }
	END { for (k in n) { printf "  %3d  %s\n", n[k], k; bad = 1 } if (!bad) print "  none" }' | sort -r
failed=$(cat "$dir"/run-*.log | grep -c '^not ok')
echo "stress: $runs runs, $failed failed checks in all"
[ "$failed" -eq 0 ]
