#!/bin/sh
# hint.sh BUILD LESSON: show the next hint of a lesson, one more each time it is run; with N=K in
# the environment (make hint L=03 N=2), hint K again instead.
#
# The hints live in lessons/LESSON/hints.md as sections "## Hint 1", "## Hint 2"...; how many
# you have seen is kept in BUILD/hints/LESSON (delete it to start over). When make check saw a
# test of the lesson fail (BUILD/results.tsv), the hint that speaks of that test, or of the
# function it is named after, is named at the end.
set -u
build=$1
lesson=${2:-}
want=${N:-}
if [ -z "$lesson" ]; then
	echo "Which lesson? For example: make hint L=01 (or make hint L=01 N=2 for hint 2 again)" >&2
	exit 2
fi
file=lessons/$lesson/hints.md
[ -r "$file" ] || { echo "hint: $lesson has no hints.md" >&2; exit 2; }

total=$(grep -c '^## Hint ' "$file")
[ "$total" -gt 0 ] || { echo "hint: $file has no '## Hint 1' section" >&2; exit 2; }
state=$build/hints/$lesson
mkdir -p "$build/hints"
seen=$(cat "$state" 2>/dev/null || echo 0)
case $seen in '' | *[!0-9]*) seen=0 ;; esac
if [ -n "$want" ]; then
	case $want in
	*[!0-9]* | 0)
		echo "hint: N must be a hint's number, 1 to $total" >&2
		exit 2
		;;
	esac
	if [ "$want" -gt "$total" ]; then
		echo "hint: lesson $lesson has $total hints; N=$want is not one of them" >&2
		exit 2
	fi
	next=$want
else
	next=$((seen + 1))
	if [ "$next" -gt "$total" ]; then
		next=$total
		echo "(That was the last hint; here it is again. The README explains the idea in full.)"
	fi
fi
[ "$next" -gt "$seen" ] && echo "$next" >"$state"

# Print the section from its heading to the next one.
awk -v n="$next" '
	/^## Hint / { on = ($3 == n) }
	on { print }
' "$file"
if [ "$next" -lt "$total" ] && [ -z "$want" ]; then
	echo "(hint $next of $total: run it again for the next one)"
else
	echo "(hint $next of $total)"
fi
[ "$next" -gt 1 ] && echo "(an earlier one again: make hint L=${lesson%%-*} N=1 ... N=$((next - 1)))"

# The lesson's first failing test in make check's last results, and the hint that names it or
# the longest start of its name (csem_wait_sleeps_until_post: csem_wait_sleeps..., csem_wait),
# the hint that names it most often (a function twice as much as a file).
failing=$(awk -F '\t' -v l="$lesson" '$1 == l && $3 != "PASS" && $3 != "SKIP" { print $2; exit }' \
	"$build/results.tsv" 2>/dev/null)
[ -n "$failing" ] || exit 0
match=$(awk -v test="$failing" '
	/^## Hint / { k = $3; next }
	k { text[k] = text[k] " " $0 }
	END {
		m = split(test, part, "_")
		for (len = m; len >= 1; len--) {
			prefix = part[1]
			for (i = 2; i <= len; i++) prefix = prefix "_" part[i]
			best = 0
			for (h = 1; h in text; h++) {
				# A function named counts twice, a file (csem.c) once.
				t = text[h]
				n = 2 * gsub("(^|[^A-Za-z0-9_])" prefix "([^A-Za-z0-9_.]|$)", "", t)
				t = text[h]
				n += gsub("(^|[^A-Za-z0-9_])" prefix "[.]", "", t)
				if (n > most[len]) { most[len] = n; best = h }
			}
			if (best) { print best; exit }
		}
	}' "$file")
if [ -n "$match" ] && [ "$match" != "$next" ]; then
	echo "Your first failing test, $failing, is what hint $match is about: make hint L=${lesson%%-*} N=$match"
elif [ -n "$match" ]; then
	echo "This hint is about your first failing test, $failing."
fi
exit 0
