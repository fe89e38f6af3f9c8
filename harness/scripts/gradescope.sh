#!/bin/sh
# gradescope.sh ZIP: write the Gradescope autograder ZIP (what `make gradescope` runs).
#
# At the zip's top: setup.sh and run_autograder (from harness/scripts/gradescope/), as
# Gradescope wants them; beside them kit/, the kit without its solutions (kit-copy.sh). Upload
# the zip as a "zip file upload" autograder; students submit their lesson files in any folders.
# Run from the repository's top folder (make does).
set -u
zip=${1:-}
if [ -z "$zip" ]; then
	echo "usage: $0 ZIP" >&2
	exit 2
fi
stage=$(mktemp -d) || exit 1
trap 'rm -rf "$stage"' EXIT

harness/scripts/kit-copy.sh "$stage/kit" || exit 1
cp harness/scripts/gradescope/setup.sh harness/scripts/gradescope/run_autograder "$stage/" || exit 1
chmod 755 "$stage/setup.sh" "$stage/run_autograder"

mkdir -p "$(dirname "$zip")" || exit 1
case $zip in /*) out=$zip ;; *) out=$(pwd)/$zip ;; esac
rm -f "$out"
if command -v zip >/dev/null 2>&1; then
	(cd "$stage" && zip -q -r -X "$out" setup.sh run_autograder kit) || exit 1
elif command -v python3 >/dev/null 2>&1; then
	# zipfile keeps no permissions by itself: give run_autograder its execute bits.
	(cd "$stage" && python3 - "$out" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for top in ("setup.sh", "run_autograder", "kit"):
        paths = [top] if os.path.isfile(top) else [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
        for p in sorted(paths):
            info = zipfile.ZipInfo.from_file(p)
            with open(p, "rb") as fh:
                z.writestr(info, fh.read(), zipfile.ZIP_DEFLATED)
PY
	) || exit 1
else
	echo "gradescope: neither zip nor python3 is installed (apt-get install zip)" >&2
	exit 1
fi
echo "Wrote $zip ($(wc -c <"$out") bytes): setup.sh, run_autograder and kit/ (no solutions/)."
echo "On Gradescope: a programming assignment, autograder 'Zip file upload', Ubuntu base image."
