#!/bin/sh
# hint.sh BUILD LESSON: show the next hint of a lesson, one more each time it is run.
#
# The hints live in lessons/LESSON/hints.md as sections "## Hint 1", "## Hint 2"...; how many
# you have seen is kept in BUILD/hints/LESSON (delete it to start over).
set -u
build=$1
lesson=${2:-}
if [ -z "$lesson" ]; then
	echo "Which lesson? For example: make hint L=01" >&2
	exit 2
fi
file=lessons/$lesson/hints.md
[ -r "$file" ] || { echo "hint: $lesson has no hints.md" >&2; exit 2; }

total=$(grep -c '^## Hint ' "$file")
state=$build/hints/$lesson
mkdir -p "$build/hints"
seen=$(cat "$state" 2>/dev/null || echo 0)
next=$((seen + 1))
if [ "$next" -gt "$total" ]; then
	next=$total
	echo "(That was the last hint; here it is again. The README explains the idea in full.)"
fi
echo "$next" >"$state"

# Print the section from its heading to the next one.
awk -v n="$next" '
	/^## Hint / { on = ($3 == n) }
	on { print }
' "$file"
[ "$next" -lt "$total" ] && echo "(hint $next of $total: run it again for the next one)"
exit 0
