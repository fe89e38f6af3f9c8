#!/bin/sh
# reset.sh BUILD LESSON: put a lesson's stubs back as shipped, after keeping the learner's files
# in backup/LESSON-<time>/ (at the kit's top, where make clean does not reach). With F=FILE in
# the environment (make reset L=03 F=csem.c), that one file only.
#
# "As shipped" is, in order: harness/stubs/LESSON/FILE (a kit made by make handout keeps every
# stub there); else the file as the upstream branch has it (a clone: your own commits do not
# count); else as the last commit has it, which is said.
set -u
# $1 is the build folder: not needed here (backup/ is outside it, so make clean keeps it).
lesson=${2:-}
only=${F:-}
if [ -z "$lesson" ]; then
	echo "Which lesson? For example: make reset L=01 (or make reset L=03 F=csem.c)" >&2
	exit 2
fi
dir=lessons/$lesson
files=$(cd "$dir" && ls *.c 2>/dev/null | grep -v -e '^test_' -e '^bench_' -e '^prog_')
[ -n "$files" ] || { echo "reset: no code files in $dir" >&2; exit 2; }
if [ -n "$only" ]; then
	only=$(basename "$only")
	echo "$files" | grep -qx "$only" || {
		echo "reset: $only is not one of lesson $lesson's files: $(echo $files)" >&2
		exit 2
	}
	files=$only
fi

# shipped FILE OUT: writes the stub of lessons/LESSON/FILE as shipped to OUT; prints where it is from.
upstream=""
if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
	upstream=$(git rev-parse --abbrev-ref --symbolic-full-name '@{upstream}' 2>/dev/null) ||
		upstream=$(git rev-parse --verify -q --abbrev-ref origin/HEAD 2>/dev/null) || upstream=""
fi
shipped() {
	if [ -f "harness/stubs/$lesson/$1" ]; then
		cp "harness/stubs/$lesson/$1" "$2" && echo "as shipped"
	elif [ -n "$upstream" ] && git show "$upstream:$dir/$1" >"$2" 2>/dev/null; then
		echo "as $upstream has it"
	elif git show "HEAD:$dir/$1" >"$2" 2>/dev/null; then
		echo "as last committed (no shipped copy found: harness/stubs/ or an upstream branch)"
	else
		return 1
	fi
}

backup=backup/$lesson-$(date +%Y%m%d-%H%M%S)
n=2
while [ -e "$backup" ]; do # a second reset within the second
	backup=${backup%-[0-9]}-$n n=$((n + 1))
done
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
kept=""
for f in $files; do
	if ! from=$(shipped "$f" "$tmp"); then
		echo "reset: no stub of $dir/$f to restore (not a handout, not a git checkout)" >&2
		exit 1
	fi
	if cmp -s "$tmp" "$dir/$f"; then
		echo "$dir/$f is the stub already ($from)."
		continue
	fi
	mkdir -p "$backup" && cp -p "$dir/$f" "$backup/$f" || exit 1
	cp "$tmp" "$dir/$f" || exit 1
	kept="$kept $f"
	echo "Restored $dir/$f $from."
done
if [ -n "$kept" ]; then
	echo "Your version is in $backup/ (get it back: cp $backup/<file> $dir/)."
fi
exit 0
