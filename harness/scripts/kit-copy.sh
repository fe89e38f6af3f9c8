#!/bin/sh
# kit-copy.sh DEST: copy the kit a learner may see into DEST (which must not exist yet).
#
# What is copied: the files git tracks or would track (their working-tree content), or every
# file when this is not a git checkout; never solutions/ (the answers), harness/wrong/ (mistakes
# that are nearly answers), .git, .ci/ (its make test needs the solutions), build outputs or
# measured data. So DEST has no history that holds the answers. The learner files are the stubs
# as git has them staged (never a trial answer left in the working tree), or as harness/stubs/
# has them in a kit made from a kit. A copy of each goes to DEST/harness/stubs/NN-topic/FILE.c,
# which `make reset` puts back whatever the learner committed since.
#
# Run from the repository's top folder (make does).
set -u
dest=${1:-}
if [ -z "$dest" ]; then
	echo "usage: $0 DEST" >&2
	exit 2
fi
if [ -e "$dest" ]; then
	echo "kit-copy: $dest exists already; remove it first" >&2
	exit 2
fi

# What a learner may not see: each pattern is matched against a path from the top folder.
hidden() {
	case $1 in
	solutions/* | harness/wrong/* | build/* | build-*/* | plots/data/* | .git/* | .git) return 0 ;;
	plots/*.png | plots/*.svg) return 0 ;;
	.ci/*) return 0 ;; # CI runs make test, which needs solutions/
	esac
	return 1
}

list() {
	if git rev-parse --show-toplevel >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard | sort -u
	else
		find . -type f ! -path './.git/*' | sed 's|^\./||'
	fi
}

# learner_file PATH: 0 if PATH is a file the learner writes (lessons/NN-topic/X.c, no test_,
# bench_ or prog_): those are taken as git has them staged, never a maintainer's trial answer lying in
# the working tree.
learner_file() {
	case $1 in
	lessons/[0-9][0-9]-*/test_*.c | lessons/[0-9][0-9]-*/bench_*.c | lessons/[0-9][0-9]-*/prog_*.c) return 1 ;;
	lessons/[0-9][0-9]-*/*/*) return 1 ;;
	lessons/[0-9][0-9]-*/*.c) return 0 ;;
	esac
	return 1
}
in_git=false
git rev-parse --show-toplevel >/dev/null 2>&1 && in_git=true

mkdir -p "$dest" || exit 1
list | while IFS= read -r f; do
	hidden "$f" && continue
	[ -f "$f" ] || continue # tracked, but deleted in the working tree
	mkdir -p "$dest/$(dirname "$f")" || exit 1
	stub=harness/stubs/${f#lessons/}
	if learner_file "$f" && [ -f "$stub" ]; then
		cp -p "$stub" "$dest/$f" || exit 1 # a kit made from a kit: its stubs as shipped
	elif $in_git && learner_file "$f" && git cat-file -e ":$f" 2>/dev/null; then
		git show ":$f" >"$dest/$f" || exit 1
		git diff --quiet -- "$f" || echo "kit-copy: $f differs from git's; shipping git's (the stub)" >&2
	else
		cp -p "$f" "$dest/$f" || exit 1
	fi
done || exit 1

# The stubs as shipped, for make reset.
for dir in "$dest"/lessons/[0-9][0-9]-*/; do
	lesson=$(basename "$dir")
	for f in "$dir"*.c; do
		case $(basename "$f") in test_* | bench_* | prog_*) continue ;; esac
		mkdir -p "$dest/harness/stubs/$lesson" && cp -p "$f" "$dest/harness/stubs/$lesson/" || exit 1
	done
done
if [ -d "$dest/solutions" ] || [ -d "$dest/harness/wrong" ]; then
	echo "kit-copy: $dest holds solutions/ or harness/wrong/; it must not" >&2
	exit 1
fi
exit 0
