#!/bin/sh
# handout.sh DIR: write the student kit into DIR, and DIR.tar.gz beside it (`make handout`).
#
# The kit a learner may see (kit-copy.sh: lessons with their stubs, the harness, plots, Makefile
# and README; no solutions/, no harness/wrong/, no git history), in which make check, hint, watch,
# reset, progress and plots all work. A DIR left by an earlier handout is replaced; any other
# existing DIR is refused. Run from the repository's top folder (make does).
set -u
dest=${1:-}
if [ -z "$dest" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dest=${dest%/}
mark=.conclab-handout
if [ -e "$dest" ]; then
	if [ -f "$dest/$mark" ]; then
		rm -rf "$dest" || exit 1
	else
		echo "handout: $dest exists and is not a handout; remove it or choose another HANDOUT=" >&2
		exit 2
	fi
fi
harness/scripts/kit-copy.sh "$dest" || exit 1
{
	echo "A conclab student kit, made $(date -u +%Y-%m-%dT%H:%MZ)"
	git rev-parse --short HEAD 2>/dev/null | sed 's/^/from commit /'
} >"$dest/$mark"
name=$(basename "$dest")
tar -C "$(dirname "$dest")" -czf "$dest.tar.gz" "$name" || exit 1
echo "Wrote $dest/ and $dest.tar.gz ($(wc -c <"$dest.tar.gz") bytes): the lessons with their stubs,"
echo "the harness, plots, Makefile and README; no solutions/, no harness/wrong/, no git history."
echo "Learners start with: tar xzf $name.tar.gz && cd $name && make check L=01"
