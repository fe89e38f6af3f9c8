#!/usr/bin/env bash
# setup.sh: Gradescope runs this once, as root, when it builds the autograder's image. It
# installs the Debian packages the kit needs (the kit's own deps.sh), then builds the harness
# and the stubs, so that grading a submission compiles only the student's files.
#
# AUTOGRADER_ROOT (default /autograder) is where Gradescope unpacked the zip into source/.
set -eu
root=${AUTOGRADER_ROOT:-/autograder}
kit=$root/source/kit
unset MAKEFLAGS MFLAGS MAKELEVEL BUILD RESULTS IMPL L T V SAN CC
sh "$kit/harness/scripts/deps.sh"
make -C "$kit" --no-print-directory -j2 build
