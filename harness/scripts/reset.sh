#!/bin/sh
# reset.sh BUILD LESSON: put a lesson's stub back, as the last commit has it, after keeping a
# copy of the learner's files in BUILD/backup/LESSON-<time>/.
set -u
build=$1
lesson=${2:-}
if [ -z "$lesson" ]; then
	echo "Which lesson? For example: make reset L=01" >&2
	exit 2
fi
dir=lessons/$lesson
files=$(cd "$dir" && ls *.c 2>/dev/null | grep -v '^test_')
[ -n "$files" ] || { echo "reset: no code files in $dir" >&2; exit 2; }
git rev-parse --verify -q HEAD >/dev/null || {
	echo "reset: this is not a git checkout with a commit; cannot restore $dir" >&2
	exit 2
}

backup=$build/backup/$lesson-$(date +%Y%m%d-%H%M%S)
mkdir -p "$backup"
for f in $files; do
	cp -p "$dir/$f" "$backup/$f" || exit 1
	git checkout HEAD -- "$dir/$f" || exit 1
done
echo "Restored $dir ($files) as last committed."
echo "Your version is in $backup/."
