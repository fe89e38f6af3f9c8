# kit-test-deploy.sh: the parts of the kit's tests that hand the kit out. Sourced by kit-test.sh
# (it uses that script's BUILD, T, MAKE, record and mk); deploy_cases runs them all.
#
#   gradescope_cases  make gradescope; the zip's run_autograder, in a scratch folder laid out
#                     like Gradescope's /autograder/, grades a correct, a partial and a broken
#                     submission, and each results.json is what Gradescope reads, with the
#                     right score
#   handout_cases     make handout; inside it (no solutions/), make check, progress across L=
#                     runs, hint, reset after a commit, watch and plots (only the lessons the
#                     case solved are measured, so plots takes seconds)

deploy_cases() {
	gradescope_cases &
	gradescope=$!
	handout_cases
	wait "$gradescope"
}

# unpack ZIP DIR: extract ZIP into DIR, keeping run_autograder's execute bits.
unpack() {
	if command -v unzip >/dev/null 2>&1; then
		unzip -q "$1" -d "$2"
	else
		python3 -c 'import sys, zipfile, os
z = zipfile.ZipFile(sys.argv[1])
for i in z.infolist():
    p = z.extract(i, sys.argv[2])
    mode = i.external_attr >> 16
    if mode: os.chmod(p, mode & 0o777)' "$1" "$2"
	fi
}

# results_check FILE: prints "SCORE MAX" of a Gradescope results.json, or "bad WHY" when it
# breaks Gradescope's specification: a top-level field it does not define, no tests, a test
# without its fields or with a status other than passed and failed, a score that is not the sum.
results_check() {
	python3 - "$1" <<'PY'
import json, sys
TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
       "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
        "output_format", "tags", "visibility", "extra_data"}
VIS = {"hidden", "after_due_date", "after_published", "visible"}
try:
    r = json.load(open(sys.argv[1]))
except Exception as e:
    print("bad it does not parse: %s" % e); sys.exit()
bad = sorted(set(r) - TOP)
if bad: print("bad top-level fields Gradescope does not define: %s" % ", ".join(bad)); sys.exit()
tests = r.get("tests")
if not isinstance(tests, list) or not tests: print("bad no tests[]"); sys.exit()
for k in ("visibility", "stdout_visibility"):
    if k in r and r[k] not in VIS: print("bad %s is %r" % (k, r[k])); sys.exit()
if not isinstance(r.get("output", ""), str) or not isinstance(r.get("execution_time", 0), (int, float)):
    print("bad output or execution_time of the wrong type"); sys.exit()
total = got = 0
for t in tests:
    extra = sorted(set(t) - TEST)
    if extra: print("bad test %s has fields %s" % (t.get("name"), extra)); sys.exit()
    for k, ty in (("name", str), ("score", (int, float)), ("max_score", (int, float)), ("output", str)):
        if not isinstance(t.get(k), ty): print("bad test %s: %s missing or not %s" % (t.get("name"), k, ty)); sys.exit()
    if t.get("status") not in ("passed", "failed"): print("bad test %s: status %r" % (t["name"], t.get("status"))); sys.exit()
    if (t["status"] == "passed") != (t["score"] == t["max_score"]): print("bad test %s: status %s with %s/%s" % (t["name"], t["status"], t["score"], t["max_score"])); sys.exit()
    got += t["score"]; total += t["max_score"]
if r.get("score") != got: print("bad score %r is not the tests' sum %r" % (r.get("score"), got)); sys.exit()
print("%g %g" % (got, total))
PY
}

# lesson_max FILE PREFIX: the points of the tests of lessons PREFIX (an extended regex: 01|03).
lesson_max() {
	python3 -c 'import json, re, sys
r = json.load(open(sys.argv[1]))
print(sum(t["max_score"] for t in r["tests"] if re.match("(%s)-" % sys.argv[2], t["name"])))' "$1" "$2"
}

gradescope_cases() {
	rm -rf "$T/gradescope" && mkdir -p "$T/gradescope" || return
	d=$(cd "$T/gradescope" && pwd) # absolute: run_autograder runs from its own folder
	zip=$d/autograder.zip
	if ! mk GRADESCOPE_ZIP="$zip" gradescope >"$d/make.log" 2>&1; then
		record "not ok" gradescope zip "make gradescope failed: see $d/make.log"
		return
	fi
	if ! command -v python3 >/dev/null 2>&1; then
		record "not ok" gradescope zip "python3 is needed to check the zip's results.json"
		return
	fi
	entries=$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$zip")
	if echo "$entries" | grep -qx setup.sh && echo "$entries" | grep -qx run_autograder &&
		! echo "$entries" | grep -q -e '^kit/solutions/' -e '^kit/harness/wrong/'; then
		record ok gradescope zip "setup.sh and run_autograder at the top, no solutions/"
	else
		record "not ok" gradescope zip "want setup.sh and run_autograder at the top and no kit/solutions/: see unzip -l $zip"
		return
	fi

	# /autograder as Gradescope makes it: the zip in source/, run_autograder copied to the top;
	# then setup.sh (deps.sh only checks here: everything is installed), which builds the kit.
	p=$d/pristine
	mkdir -p "$p/source" && unpack "$zip" "$p/source" && cp -p "$p/source/run_autograder" "$p/" || {
		record "not ok" gradescope setup "could not unpack $zip"
		return
	}
	if (AUTOGRADER_ROOT=$p; export AUTOGRADER_ROOT; timeout 600 bash "$p/source/setup.sh") \
		>"$d/setup.log" 2>&1; then
		record ok gradescope setup "setup.sh ran"
	else
		record "not ok" gradescope setup "setup.sh failed: see $d/setup.log"
		return
	fi

	# The three submissions, each in its own copy of the pristine /autograder/, side by side
	# (each is a build and a grade that mostly waits; one after another they take minutes).
	pids=""
	for case in correct partial broken; do
		submission "$d" "$case" &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	grep -q 'did not build' "$d/broken/results/results.json" 2>/dev/null &&
		record ok gradescope broken-says-why "its tests say the lesson did not build" ||
		record "not ok" gradescope broken-says-why "no 'did not build' in $d/broken/results/results.json"
	grep -q '01-gather/gather.c  from my work/lab/01-gather/gather.c' "$d/partial/results/results.json" 2>/dev/null &&
		record ok gradescope partial-files "the output names the files graded" ||
		record "not ok" gradescope partial-files "no 'from my work/lab/01-gather/gather.c' in $d/partial/results/results.json"
}

# submission DIR CASE: the submission CASE (correct, partial or broken) in DIR/CASE, a copy of
# DIR/pristine, graded by its run_autograder; records whether it got the score it should.
submission() {
	d=$1 case=$2 p=$1/pristine
	(
		root=$d/$case
		cp -a "$p" "$root" && mkdir -p "$root/submission" "$root/results" || exit
		sub=$root/submission
		case $case in
		correct) # a zip of the student's whole kit: lessons/ solved, harness/stubs/ as shipped
			mkdir -p "$root/kit-zip/conclab/lessons" "$root/kit-zip/conclab/harness/stubs" &&
				cp -r solutions/* "$root/kit-zip/conclab/lessons/" &&
				cp -r lessons/* "$root/kit-zip/conclab/harness/stubs/" &&
				(cd "$root/kit-zip" && python3 -c 'import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for d, _, fs in os.walk("conclab"):
        for f in fs: z.write(os.path.join(d, f))' "$sub/my-kit.zip") || exit
			;;
		partial) # lessons 01 and 03 in folders of their own, and things to ignore
			mkdir -p "$sub/my work/lab/01-gather" "$sub/my work/lab/sem" "$sub/__MACOSX"
			cp solutions/01-gather/*.c "$sub/my work/lab/01-gather/"
			cp solutions/03-semaphore/*.c "$sub/my work/lab/sem/"
			# A gather.c nearer the top that does not compile: the one in 01-gather/ wins.
			echo "this does not compile" >"$sub/gather.c"
			echo "this does not compile" >"$sub/__MACOSX/csem.c"
			# A test file of the student's own: ignored, never built.
			echo "#error a submitted test file must never be built" >"$sub/test_gather.c"
			echo "notes" >"$sub/README.md"
			;;
		broken) # every lesson, but csem.c does not compile: lesson 03 scores 0, the rest full
			for f in solutions/*/*.c; do cp "$f" "$sub/"; done
			echo "this does not compile" >>"$sub/csem.c"
			;;
		esac
		(cd "$root" && AUTOGRADER_ROOT=$root timeout 900 ./run_autograder) >"$root/stdout" 2>&1
		status=$?
		json=$root/results/results.json
		if [ "$status" -ne 0 ] || [ ! -s "$json" ]; then
			record "not ok" gradescope "$case" "run_autograder exit $status, results.json missing: see $root/stdout"
			exit
		fi
		got=$(results_check "$json")
		case $got in
		bad*)
			record "not ok" gradescope "$case" "results.json: ${got#bad } ($json)"
			exit
			;;
		esac
		score=${got% *} max=${got#* }
		case $case in
		correct)
			want=$max
			full=$max
			;;
		partial) want=$(lesson_max "$json" '01|03') ;;
		broken) want=$((max - $(lesson_max "$json" '03'))) ;;
		esac
		if [ "$score" = "$want" ] && [ "$max" = "${full:-$max}" ]; then
			record ok gradescope "$case" "scores $score/$max, as it should"
		else
			record "not ok" gradescope "$case" "scores $score/$max, want $want/${full:-?}: see $root/stdout"
		fi
		echo "  gradescope $case: $score/$max"
	)
}

# in_handout LABEL PATTERN MAKE-ARGS...: runs make in the handout, a kit of its own (nothing of
# this make's settings, BUILD or MAKEFLAGS, reaches it); ok if its output matches the extended
# regex PATTERN. The output is kept in $T/handout/LABEL.log. IN_HANDOUT_LIMIT bounds it (s).
in_handout() {
	label=$1 pattern=$2
	shift 2
	log=$T/handout/$label.log
	(cd "$h" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u RESULTS -u IMPL -u L -u T \
		-u V -u SAN -u CC -u N -u F timeout "${IN_HANDOUT_LIMIT:-600}" make --no-print-directory \
		"$@") >"$log" 2>&1
	if grep -E -q -- "$pattern" "$log"; then
		record ok handout "$label" ""
	else
		record "not ok" handout "$label" "no line matching '$pattern' in $log"
	fi
}

handout_cases() {
	h=$T/handout/conclab
	rm -rf "$T/handout" && mkdir -p "$T/handout" || return
	if ! mk HANDOUT="$h" handout >"$T/handout/make.log" 2>&1; then
		record "not ok" handout build "make handout failed: see $T/handout/make.log"
		return
	fi
	if [ -e "$h/solutions" ] || [ -e "$h/harness/wrong" ] || [ -e "$h/.git" ] || [ ! -f "$h.tar.gz" ]; then
		record "not ok" handout build "$h has solutions/, harness/wrong/ or .git, or no $h.tar.gz"
		return
	fi
	leaked=""
	for f in solutions/*/*.c; do
		cmp -s "$f" "$h/lessons/${f#solutions/}" && leaked="$leaked $f"
	done
	if [ -z "$leaked" ]; then
		record ok handout build "no solutions/, no history, every lesson a stub"
	else
		record "not ok" handout build "the handout ships answers:$leaked"
	fi

	# The stubs fail; a solved lesson passes; progress keeps both lessons across L= runs.
	in_handout check-stub '^Score: 0/' check L=01
	cp solutions/01-gather/*.c "$h/lessons/01-gather/"
	cp solutions/03-semaphore/*.c "$h/lessons/03-semaphore/"
	in_handout check-01 '^Score: ([0-9]+)/\1$' check L=01
	in_handout check-03 '^Score: ([0-9]+)/\1$' check L=03
	in_handout progress-keeps-01 '^01-gather +([0-9]+)/\1 +passed$' progress
	in_handout progress-keeps-03 '^03-semaphore +([0-9]+)/\1 +passed$' progress
	in_handout progress-next '^Next: Start lesson 02-http' progress
	touch "$h/lessons/03-semaphore/csem.c"
	in_handout progress-stale '^03-semaphore .*stale' progress

	in_handout hint '^## Hint 1' hint L=01
	in_handout test-says-no-solutions 'this copy has none \(a hand-out\)' test
	in_handout hint-again '^## Hint 1' hint L=01 N=1

	# reset after the learner's own commit: the stub as shipped comes back, their file is kept.
	if command -v git >/dev/null 2>&1 &&
		(cd "$h" && git init -q && git add -A && git -c user.name=learner -c user.email=l@example.org \
			commit -q -m "my lesson 01") >/dev/null 2>&1; then
		in_handout reset-one-file '^Restored lessons/03-semaphore/csem.c as shipped' reset L=03 F=csem.c
		if cmp -s "$h/lessons/03-semaphore/csem.c" "$h/harness/stubs/03-semaphore/csem.c" &&
			! cmp -s "$h/lessons/03-semaphore/gather_limited.c" "$h/harness/stubs/03-semaphore/gather_limited.c" &&
			cmp -s "$(ls -d "$h"/backup/03-semaphore-*/csem.c | head -n 1)" solutions/03-semaphore/csem.c; then
			record ok handout reset-after-commit "csem.c is the stub again, its siblings untouched, the learner's in backup/"
		else
			record "not ok" handout reset-after-commit "after make reset L=03 F=csem.c: see $h/lessons/03-semaphore and $h/backup"
		fi
		in_handout check-after-reset '^  03-semaphore +[0-9]+/[0-9]+' check L=03
	else
		record "not ok" handout reset-after-commit "could not commit in $h (git missing?)"
	fi

	# The same in a clone of the repository, where the stub as shipped is the upstream branch's.
	c=$T/handout/clone
	if git rev-parse --verify -q HEAD >/dev/null 2>&1 &&
		git clone -q . "$c" >/dev/null 2>&1 && cp solutions/03-semaphore/csem.c "$c/lessons/03-semaphore/" &&
		(cd "$c" && git -c user.name=learner -c user.email=l@example.org commit -q -a -m "my csem") >/dev/null 2>&1; then
		h_saved=$h h=$c
		in_handout reset-in-a-clone '^Restored lessons/03-semaphore/csem.c as origin/' reset L=03 F=csem.c
		h=$h_saved
		if (cd "$c" && git show origin/HEAD:lessons/03-semaphore/csem.c | cmp -s - lessons/03-semaphore/csem.c); then
			record ok handout reset-after-commit-in-a-clone "csem.c is the upstream stub, not the learner's commit"
		else
			record "not ok" handout reset-after-commit-in-a-clone "$c/lessons/03-semaphore/csem.c is not origin's stub"
		fi
	else
		record "not ok" handout reset-after-commit-in-a-clone "could not clone and commit in $c"
	fi

	# watch grades once, then waits for a change; it is stopped after a few seconds.
	IN_HANDOUT_LIMIT=10 in_handout watch '^Watching lessons/ for changes' watch L=01

	# plots without the reference: only lesson 01 passes now, so only its benchmark runs.
	in_handout plots 'plot  gather: plots/gather.png' plots
	if grep -q 'reference solutions are not included' "$h/plots/gather.svg" 2>/dev/null; then
		record ok handout plots-say-no-reference "gather.svg says the reference is not included"
	else
		record "not ok" handout plots-say-no-reference "no 'not included' in $h/plots/gather.svg"
	fi
}
