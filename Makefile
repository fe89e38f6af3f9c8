# conclab: build, grade, test and plot. One non-recursive Makefile; `make help` lists targets.
#
#   IMPL=lessons|solutions|DIR  whose code the lesson tests are built against (default: lessons;
#                               DIR is laid out like lessons/, and a file it lacks comes from
#                               solutions/: how the kit's wrong solutions are graded)
#   L=NN                     one lesson only (make check L=03)
#   T=NAME                   one test only (make check L=03 T=csem_wait_blocks V=1)
#   SAN=thread|address       build with ThreadSanitizer, or AddressSanitizer + UBSan
#   CC=clang                 another compiler (gcc is the default)
#   V=1                      show the compiler commands, and every test's output
#   BUILD=DIR                where every output goes (default build/; say another for a
#                            read-only checkout)
#   RESULTS=DIR              where make check writes results.json and results.tsv (default
#                            BUILD for IMPL=lessons, BUILD/results-IMPL for the others)
#
# Outputs go under $(BUILD)/<toolchain>/ (gcc, gcc-thread, clang-address...), so toolchains never
# mix: harness/ for the harness's programs, lessons/ and solutions/ for each implementation's
# lesson binaries. Test objects depend on the tests alone, so every implementation shares them.

IMPL  ?= lessons
SAN   ?=
L     ?=
T     ?=
BUILD ?= build
# The learner's results are build/results.*; another implementation's go beside, in a folder
# of its own (build/solutions/), so that grading the reference never stands for the learner.
RESULTS ?= $(BUILD)$(if $(filter-out lessons lessons/,$(IMPL)),/results-$(subst /,_,$(patsubst %/,%,$(IMPL))))
# L=1 means 01; L=gather means 01-gather.
override L := $(if $(filter 1 2 3 4 5 6 7 8 9,$(L)),0$(L),$(L))

CC := $(if $(filter default,$(origin CC)),gcc,$(CC))
COMPILER := $(if $(findstring clang,$(CC)),clang,gcc)
TOOL := $(COMPILER)$(if $(SAN),-$(SAN))
TOP := $(BUILD)/$(TOOL)
PLAIN := $(BUILD)/$(COMPILER)

# A build directory we cannot write gives one line, not a wall of errors.
ifneq ($(filter-out help clean deps lint format,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell mkdir -p '$(BUILD)' 2>/dev/null && test -w '$(BUILD)' && echo ok),ok)
$(error cannot write '$(BUILD)' (a read-only checkout?): run make with BUILD=/some/writable/dir, for example make check BUILD=/tmp/conclab-build)
endif
endif

PKGS := libcurl cunit
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# C17 with POSIX 2008. Files that need a GNU or Linux call say so with _GNU_SOURCE at their top.
BASE_CFLAGS := -std=c17 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wshadow \
               -Wstrict-prototypes -Wmissing-prototypes -g -pthread
SAN_thread  := -O1 -fsanitize=thread
SAN_address := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
ifneq ($(SAN),)
ifeq ($(SAN_$(SAN)),)
$(error SAN must be thread or address, not '$(SAN)')
endif
endif
ifeq ($(wildcard $(IMPL)/.),)
$(error IMPL=$(IMPL): no such folder (lessons, solutions, or a folder laid out like lessons/))
endif
LDLIBS := $(PKG_LIBS) -lm -pthread

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- compiling ----
# While grading, only the learner's own files are named as they compile (V=1 shows every
# command); everywhere else each object and binary is.
# One recipe for every object: written aside and renamed into place, so that a second make
# running in the same checkout never reads half an object, and with its dependencies in a .d
# file beside it. A failed compile leaves no object, not last time's. $(1) is the flags, $(2)
# the include path, $(3) what else to do on failure.
define compile
	@mkdir -p $(@D)
	@$(if $(and $(Q),$(or $(if $(SOFT),,1),$(is_learner))),echo "  CC      $<$(if $(filter-out $(TOOL),$(tc_of)),   (for $(tc_of)))")
	$(Q)$(CC) $(1) $(PKG_CFLAGS) $(2) -MMD -MP -MF $(@:.o=.d).$$$$ -MT $@ -c $< -o $@.$$$$ && \
	  mv -f $(@:.o=.d).$$$$ $(@:.o=.d) && mv -f $@.$$$$ $@ || \
	  { rm -f $@ $@.$$$$ $(@:.o=.d).$$$$; $(3) exit 1; }
endef
# The same for linking; a failed link leaves no binary at all (not last time's).
define link
	@mkdir -p $(@D)
	@$(if $(and $(Q),$(if $(SOFT),,1)),echo "  LD      $@")
	$(Q)$(CC) $(1) $(filter %.o,$^) $(2) -o $@.$$$$ && mv -f $@.$$$$ $@ || \
	  { rm -f $@ $@.$$$$; $(3) exit 1; }
endef

# The harness is several parts, each a folder; the include path of each says whom it may see.
# Test files and benchmarks see the kit; latencyd sees the clock; the runner sees the kit's
# suite declaration and no lesson; lessons' own code sees its lesson and lessons/common only.
INC_base     := -Iharness/base
INC_kit      := -Iharness/kit -Iharness/base -Iharness/latencyd
INC_runner   := -Iharness/runner -Iharness/kit -Iharness/base
INC_latencyd := -Iharness/latencyd -Iharness/base
INC_grade    := -Iharness/grade -Iharness/runner -Iharness/kit -Iharness/base
INC_bench    := -Iharness/bench -Iharness/kit -Iharness/base -Iharness/latencyd
INC_test     := -Iharness/test -Iharness/kit -Iharness/base -Iharness/latencyd
KIT_VIEW     := -Iharness/kit -Iharness/base

# Every toolchain of this compiler has its rules, whichever SAN says: make check builds the
# learner's code for ThreadSanitizer too (the race pass), in the same run. A target's toolchain
# is the first folder of its path under BUILD.
TOOLCHAINS := $(COMPILER) $(COMPILER)-thread $(COMPILER)-address
TC_CFLAGS_$(COMPILER) := -O2
TC_CFLAGS_$(COMPILER)-thread := $(SAN_thread)
TC_CFLAGS_$(COMPILER)-address := $(SAN_address)
TC_LDFLAGS_$(COMPILER)-thread := $(SAN_thread)
TC_LDFLAGS_$(COMPILER)-address := $(SAN_address)
tc_of = $(firstword $(subst /, ,$(patsubst $(BUILD)/%,%,$@)))
tc_cflags = $(BASE_CFLAGS) $(TC_CFLAGS_$(tc_of))
tc_ldflags = $(TC_LDFLAGS_$(tc_of))

part_of = $(word 2,$(subst /, ,$<))
define harness_rule
$(BUILD)/$(1)/harness/%.o: harness/%.c
	$$(call compile,$$(tc_cflags),$$(INC_$$(part_of)))
endef
$(foreach tc,$(TOOLCHAINS),$(eval $(call harness_rule,$(tc))))

# A lesson's files: test_*.c and bench_*.c see the kit; the others (the learner's, the
# reference's, a wrong solution's) see lessons/<lesson>/ and lessons/common/ only, and the fence
# below fails the build of one that includes anything else (a harness header by a relative path,
# say). A learner file that does not compile removes its lesson's binaries, so that no earlier
# build of it is ever graded.
lesson_of = $(notdir $(patsubst %/,%,$(dir $<)))
lesson_inc = -Ilessons/$(lesson_of) -Ilessons/common \
             $(if $(filter test_% bench_% prog_%,$(notdir $<)),$(KIT_VIEW) $(INC_bench)) \
             $(PKG_CFLAGS_$(lesson_of))
is_learner = $(if $(filter harness/% test_% bench_% prog_%,$< $(notdir $<)),,$(filter-out common,$(lesson_of)))
fence = $(if $(is_learner),&& { bad=$$(tr -s ' \\' '\n\n' <$(@:.o=.d) | sed -n 's/:*$$//; /\.h$$/p' | \
          grep -v -E '^(/|lessons/$(lesson_of)/[^/]+$$|lessons/common/[^/]+$$)' | sort -u); \
          [ -z "$$bad" ] || { echo "$<: lesson code may include only its lesson's headers and \
          those of lessons/common/; not $$bad" >&2; rm -f $@; $(drop_bins) false; }; })
drop_bins = $(if $(is_learner),find $(@D) -maxdepth 1 -type f \( -name 'test_*' -o -name 'bench_*' -o -name 'prog_*' \) \
              ! -name '*.*' -delete; $(if $(SOFT),exit 0;))

define lesson_rule
$(BUILD)/$(1)/%.o: %.c
	$$(call compile,$$(tc_cflags),$$(lesson_inc),$$(drop_bins)) $$(fence)
endef
$(foreach tc,$(TOOLCHAINS),$(eval $(call lesson_rule,$(tc))))

# ---- the harness's parts and programs ----
objs = $(patsubst %.c,$(1)/%.o,$(2))
BASE_SRC     := $(wildcard harness/base/*.c)
KIT_SRC      := $(wildcard harness/kit/*.c)
RUNNER_SRC   := $(filter-out harness/runner/testmain.c,$(wildcard harness/runner/*.c))
LATENCYD_SRC := $(filter-out harness/latencyd/main.c,$(wildcard harness/latencyd/*.c))
GRADE_SRC    := $(wildcard harness/grade/*.c)
BENCH_SRC    := $(filter-out harness/bench/bench_server.c,$(wildcard harness/bench/*.c))
CLOCK_OBJ    = $(1)/harness/base/clock.o

# What every test binary links besides its tests and the code under test: the kit (with the
# latencyd fixture), the runner, and the runner's test main, named explicitly.
TEST_LINK = $(call objs,$(1),$(KIT_SRC) $(LATENCYD_SRC) $(BASE_SRC) $(RUNNER_SRC)) \
            $(1)/harness/runner/testmain.o

GRADE := $(PLAIN)/bin/grade
LATENCYD := $(TOP)/bin/latencyd
BENCH_SERVER := $(TOP)/bin/bench_server

$(GRADE): $(call objs,$(PLAIN),$(GRADE_SRC) $(RUNNER_SRC) $(BASE_SRC)) Makefile
	$(call link,,)
# latencyd stands alone: its own objects and the clock, no CUnit, no libcurl.
$(LATENCYD): $(call objs,$(TOP),$(LATENCYD_SRC) harness/latencyd/main.c) \
                         $(call CLOCK_OBJ,$(TOP)) Makefile
	$(call link,$(tc_ldflags),)
# latencyd's own benchmark, a client of the kit's fixture.
$(BENCH_SERVER): $(call objs,$(TOP),harness/bench/bench_server.c $(KIT_SRC) \
                               $(LATENCYD_SRC) $(BASE_SRC)) Makefile
	$(call link,$(tc_ldflags),$(LDLIBS))

# The harness's own tests: harness/test/test_*.c, each a test binary of its own.
HARNESS_TESTS := $(patsubst harness/test/%.c,$(TOP)/harness/%,$(wildcard harness/test/test_*.c))
$(HARNESS_TESTS): $(TOP)/harness/%: $(TOP)/harness/test/%.o $(call TEST_LINK,$(TOP)) Makefile
	$(call link,$(tc_ldflags),$(LDLIBS))

# ---- the lessons ----
# A lesson is a folder lessons/NN-topic/: topic.h, the learner's .c files, test_*.c (the first
# in sorted order names the binary; more test_*.c files join it), bench_*.c (each a benchmark
# program, built like the tests), README.md, hints.md. solutions/NN-topic/ has the learner's
# files, finished. Nothing here names a lesson: they are found.
ALL_LESSONS := $(sort $(patsubst lessons/%/,%,$(wildcard lessons/[0-9][0-9]-*/)))
LESSONS := $(if $(L),$(filter $(L)-% $(L) %-$(L),$(ALL_LESSONS)),$(ALL_LESSONS))
ifneq ($(L),)
ifeq ($(LESSONS),)
$(error no lesson matches L=$(L); the lessons are: $(ALL_LESSONS))
endif
endif
COMMON_SRC := $(wildcard lessons/common/*.c)

# Where an implementation's files are, and their objects' folder name under a toolchain.
impl_dir = $(patsubst %/,%,$(1))
impl_out = $(BUILD)/$(2)/$(subst ..,__,$(call impl_dir,$(1)))

# A lesson that needs a library besides libcurl and CUnit names its pkg-config modules in
# lessons/NN-topic/pkgs, one a line: that lesson's files alone (its tests, benchmarks, programs
# and the code under test) are compiled and linked with them.
lesson_pkgs = $(strip $(shell cat lessons/$(1)/pkgs 2>/dev/null))
LESSON_PKGS := $(sort $(foreach l,$(ALL_LESSONS),$(call lesson_pkgs,$(l))))
$(foreach l,$(ALL_LESSONS),$(if $(call lesson_pkgs,$(l)),\
  $(eval PKG_CFLAGS_$(l) := $(shell pkg-config --cflags $(call lesson_pkgs,$(l)) 2>/dev/null))\
  $(eval PKG_LIBS_$(l) := $(shell pkg-config --libs $(call lesson_pkgs,$(l)) 2>/dev/null))))

# lesson_rules(lesson, impl, toolchain): the test binary, benchmarks and programs of lesson built
# against impl with toolchain. A program, lessons/NN-topic/prog_name.c, is a main of its own that
# the tests run as a separate process (a launcher such as mpirun starts it): it is linked with
# the code under test and harness/base only, and built beside the test binary, which finds it
# there.
define lesson_rules
$(1)_TESTS := $$(sort $$(wildcard lessons/$(1)/test_*.c))
$(1)_FILES := $$(filter-out test_% bench_% prog_%,$$(notdir $$(wildcard lessons/$(1)/*.c)))
$(1)_NAME := $$(if $$($(1)_TESTS),$$(basename $$(notdir $$(firstword $$($(1)_TESTS)))),test_missing)
$(1)_LIST := $(PLAIN)/list/$(1)/$$($(1)_NAME)
$(1)_$(2)_SRC := $$(foreach f,$$($(1)_FILES),$$(firstword $$(wildcard $(call impl_dir,$(2))/$(1)/$$(f)) \
                   $$(if $$(filter lessons,$(2)),lessons,solutions)/$(1)/$$(f)))
$(1)_$(2)_$(3)_OBJ := $$(patsubst %.c,$(BUILD)/$(3)/%.o,$$($(1)_$(2)_SRC) $(COMMON_SRC))
$(1)_$(2)_$(3)_BIN := $(call impl_out,$(2),$(3))/$(1)/$$($(1)_NAME)
$(1)_$(2)_$(3)_BENCH := $$(patsubst lessons/$(1)/%.c,$(call impl_out,$(2),$(3))/$(1)/%,\
                     $$(wildcard lessons/$(1)/bench_*.c))
$(1)_$(2)_$(3)_PROGS := $$(patsubst lessons/$(1)/%.c,$(call impl_out,$(2),$(3))/$(1)/%,\
                     $$(wildcard lessons/$(1)/prog_*.c))
ALL_OBJS += $$(patsubst %.c,$(BUILD)/$(3)/%.o,$$($(1)_TESTS) $$(wildcard lessons/$(1)/bench_*.c \
              lessons/$(1)/prog_*.c)) $$($(1)_$(2)_$(3)_OBJ)

$$($(1)_$(2)_$(3)_BIN): $$(patsubst %.c,$(BUILD)/$(3)/%.o,$$($(1)_TESTS)) $$($(1)_$(2)_$(3)_OBJ) \
                   $$(call TEST_LINK,$(BUILD)/$(3)) $$($(1)_$(2)_$(3)_PROGS) Makefile
	$$(call soft_link,$$(tc_ldflags),$$(LDLIBS) $$(PKG_LIBS_$(1)))
$(call impl_out,$(2),$(3))/$(1)/bench_%: $(BUILD)/$(3)/lessons/$(1)/bench_%.o $$($(1)_$(2)_$(3)_OBJ) \
                   $$(call objs,$(BUILD)/$(3),$$(BENCH_SRC) $$(KIT_SRC) $$(LATENCYD_SRC) $$(BASE_SRC)) \
                   $$($(1)_$(2)_$(3)_PROGS) Makefile
	$$(call soft_link,$$(tc_ldflags),$$(LDLIBS) $$(PKG_LIBS_$(1)))
$(call impl_out,$(2),$(3))/$(1)/prog_%: $(BUILD)/$(3)/lessons/$(1)/prog_%.o $$($(1)_$(2)_$(3)_OBJ) \
                   $$(call objs,$(BUILD)/$(3),$$(BASE_SRC)) Makefile
	$$(call soft_link,$$(tc_ldflags),$$(LDLIBS) $$(PKG_LIBS_$(1)))
endef

# The list binary: the lesson's test files alone, linked without the code under test (whose
# functions they only call, never at listing time), so that the list of tests and points comes
# from the test files even when the learner's code does not compile, and nothing in it is the
# learner's. Not position-independent: references nobody defines are then plain zeros.
define list_rules
$$(if $$($(1)_TESTS),$$($(1)_LIST)): $$(patsubst %.c,$(PLAIN)/%.o,$$($(1)_TESTS)) \
               $(call objs,$(PLAIN),harness/runner/testmain.c harness/runner/run.c \
                 harness/runner/tsv.c harness/runner/report.c) Makefile
	$$(call link,-no-pie -Wl$$(comma)--unresolved-symbols=ignore-all,)
endef
comma := ,

# While grading or measuring, a lesson whose code does not build must not stop the others: its
# compiler errors are shown, its link is skipped (its binary stays absent, and it scores 0), and
# make goes on. Elsewhere a failure stops make.
SOFT := $(filter check watch bench plots progress wrong-bins,$(MAKECMDGOALS))
define soft_link
	$(if $(and $(SOFT),$(filter-out $(wildcard $(filter %.o,$^)),$(filter %.o,$^))),\
	  @rm -f $@; echo "  (not linking $@: some of its code did not compile)",\
	  $(call link,$(1),$(2),$(if $(SOFT),exit 0;)))
endef
IMPLS := $(sort lessons $(wildcard solutions) $(call impl_dir,$(IMPL))) # no solutions/ in a handout
# The race pass: make check also builds the code under test for ThreadSanitizer (RACE=0: not).
RACE ?= 1
RACE_TC := $(if $(filter 1,$(RACE)),$(if $(filter thread,$(SAN)),,$(COMPILER)-thread))
$(foreach tc,$(sort $(TOOL) $(RACE_TC)),$(foreach i,$(IMPLS),$(foreach l,$(ALL_LESSONS),\
  $(eval $(call lesson_rules,$(l),$(i),$(tc))))))
$(foreach l,$(ALL_LESSONS),$(eval $(call list_rules,$(l))))

# The kit's tests build every wrong solution at once: WRONG_IMPLS is a list of folders laid out
# like lessons/, each holding one lesson's file(s). wrong-bins builds their test binaries (and
# their race builds too with WRONG_RACE=1), in one make that can run jobs side by side;
# print-wrong-args gives the grader a --lesson for each, named after its folder.
WRONG_IMPLS ?=
WRONG_RACE ?=
wrong_lesson = $(notdir $(patsubst %/,%,$(dir $(firstword $(wildcard $(1)/[0-9][0-9]-*/*.c)))))
wrong_tcs := $(TOOL) $(if $(WRONG_RACE),$(COMPILER)-thread)
$(foreach d,$(WRONG_IMPLS),$(foreach tc,$(wrong_tcs),\
  $(eval $(call lesson_rules,$(call wrong_lesson,$(d)),$(d),$(tc)))))
wrong_bin = $($(call wrong_lesson,$(1))_$(1)_$(2)_BIN)
wrong-bins: $(GRADE) $(foreach d,$(WRONG_IMPLS),$(foreach tc,$(wrong_tcs),$(call wrong_bin,$(d),$(tc))) \
              $($(call wrong_lesson,$(d))_LIST))
print-wrong-args:
	@echo $(foreach d,$(WRONG_IMPLS),--lesson $(d) $($(call wrong_lesson,$(d))_LIST) \
	  $(call wrong_bin,$(d),$(TOOL)) $(if $(WRONG_RACE),$(call wrong_bin,$(d),$(COMPILER)-thread),-))

# bins_of(impl[, toolchain]): the chosen lessons' test binaries; benches_of(impl): every
# lesson's benchmarks.
bins_of = $(foreach l,$(LESSONS),$($(l)_$(call impl_dir,$(1))_$(or $(2),$(TOOL))_BIN))
benches_of = $(foreach l,$(ALL_LESSONS),$($(l)_$(call impl_dir,$(1))_$(TOOL)_BENCH))
LESSON_BINS := $(call bins_of,$(IMPL))
RACE_BINS := $(if $(RACE_TC),$(call bins_of,$(IMPL),$(RACE_TC)))
LESSON_LISTS := $(foreach l,$(LESSONS),$(if $($(l)_TESTS),$($(l)_LIST)))
# --lesson NAME LIST BIN RACE-BIN for every lesson chosen: what the grader is given (RACE-BIN
# "-" when there is no race pass).
race_bin = $(if $(2),$($(1)_$(call impl_dir,$(3))_$(2)_BIN),-)
grade_args = $(foreach l,$(LESSONS),--lesson $(l) $($(l)_LIST) \
               $($(l)_$(call impl_dir,$(1))_$(TOOL)_BIN) $(call race_bin,$(l),$(2),$(1)))
SAN_ARGS := $(if $(SAN),--sanitized --slow 3)
# The chaos pass: every test that passed runs once more under the chaos scheduler, with SEED
# (make check SEED=1234 replays a run; by default each check picks one and prints it).
CHAOS ?= 1
SEED ?=
CHAOS_ARGS := $(if $(filter 1,$(CHAOS)),--chaos $(or $(SEED),random))

# What the grader is given for IMPL, SAN and L, for scripts (the kit's tests) to pass on.
print-grade-args:
	@echo $(call grade_args,$(IMPL))
print-check-args:
	@echo $(call grade_args,$(IMPL),$(RACE_TC))
check-bins: $(GRADE) $(LESSON_LISTS) $(LESSON_BINS) $(RACE_BINS)
print-harness-tests:
	@echo $(HARNESS_TESTS)
print-bin:
	@echo $(GRADE)
print-latencyd:
	@echo $(LATENCYD)

# ---- what people run ----
.DEFAULT_GOAL := all
.PHONY: all build build-all harness-tests print-grade-args print-check-args check-bins \
        wrong-bins print-wrong-args check-banner print-harness-tests print-bin print-latencyd check test stress deps deps-quiet help clean hint \
        reset watch lint format valgrind bench bench-build plots deps-plots server bench-server fuzz
.SECONDARY:
.DELETE_ON_ERROR:

all: build
	@echo "Built $(TOOL) ($(IMPL)). Next: make check (grade your lessons), make help (everything else)."

build: deps-quiet $(GRADE) $(LATENCYD) $(BENCH_SERVER) $(LESSON_LISTS) $(LESSON_BINS)
harness-tests: deps-quiet $(HARNESS_TESTS)
build-all: build harness-tests

# Builds what it can (a lesson that does not compile scores 0, with the compiler's errors
# above the table, and the others are still graded), then grades.
check: deps-quiet check-banner $(GRADE) $(LESSON_LISTS) $(LESSON_BINS) $(RACE_BINS)
	@mkdir -p $(RESULTS)
	@$(GRADE) --mode check --json $(RESULTS)/results.json --state $(RESULTS)/results.tsv $(SAN_ARGS) \
	  $(CHAOS_ARGS) $(if $(T),--only $(T)) $(if $(filter 1,$(V)),-v) \
	  $(call grade_args,$(IMPL),$(RACE_TC)); \
	  rc=$$?; $(if $(filter lessons,$(IMPL)),[ $$rc -gt 1 ] || harness/scripts/progress.sh --next $(PROGRESS_ARGS);) \
	  exit $$rc

# Says what a first, long build is doing (a second one has nothing to build and says nothing).
check-banner:
	@[ -x $(GRADE) ] || echo "make check: building the harness and your lessons (about a minute, once)..."

# The kit's own tests: every solution passes, every stub fails, the harness catches bad tests,
# sanitizers stay quiet. What CI runs.
test: deps
	@BUILD=$(BUILD) MAKE="$(MAKE)" harness/scripts/kit-test.sh

# make test N times (default 10), the second half beside two CPU hogs; prints how often each
# check failed.
RUNS ?= 10
stress: deps
	@BUILD=$(BUILD) MAKE="$(MAKE)" harness/scripts/stress.sh $(RUNS)

deps:
	@harness/scripts/deps.sh

# Builds need the packages: say so once, clearly, instead of a wall of compiler errors.
deps-quiet:
	@pkg-config --exists $(PKGS) $(LESSON_PKGS) 2>/dev/null || harness/scripts/deps.sh

# Every test under valgrind's memcheck: slow (threads run one at a time), so the timing checks
# are not judged, only what memcheck finds. Needs valgrind (apt-get install valgrind).
VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite
valgrind: deps-quiet $(GRADE) $(LESSON_LISTS) $(LESSON_BINS)
	@command -v valgrind >/dev/null || { echo "valgrind is not installed: apt-get install valgrind"; exit 1; }
	@rm -f $(TOP)/valgrind.log
	@echo "Under valgrind threads run one at a time, so timing and overlap checks fail by design;"
	@echo "this run judges only what memcheck finds (the summary at the end)."
	@H_TIMEOUT_SCALE=5 $(GRADE) --mode memcheck --label valgrind --log $(TOP)/valgrind.log \
	  --wrapper "$(VALGRIND)" $(call grade_args,$(IMPL))
	@$(GRADE) --summary $(TOP)/valgrind.log

hint:
	@harness/scripts/hint.sh "$(BUILD)" $(if $(L),$(LESSONS),)

reset:
	@harness/scripts/reset.sh "$(BUILD)" $(if $(L),$(LESSONS),)

watch:
	@MAKE="$(MAKE)" harness/scripts/watch.sh "$(L)"

# ---- benchmarks and charts: make bench, make plots ----
# A benchmark is lessons/NN-topic/bench_<name>.c, built against the reference and against the
# learner's code like a test file; run as `bench_<name> DIR [yours]`, it writes DIR/<name>.csv
# (or <name>-yours.csv). A chart is plots/<name>.gp, which reads plots/data/<name>*.csv and draws
# plots/<name>.png and .svg. Both are found by their names: adding one needs no edit here.
# The learner's benchmarks run for the lessons `make check` last saw pass, unchanged since.
REF_BENCHES := $(if $(wildcard solutions),$(call benches_of,solutions)) # none in a handout
YOUR_BENCHES := $(call benches_of,lessons)
bench-build: deps-quiet $(REF_BENCHES) $(YOUR_BENCHES)
bench: bench-build
	@harness/bench/run.sh bench plots/data $(BUILD)/results.tsv $(BUILD)/bench.stamp \
	  $(REF_BENCHES) -- $(YOUR_BENCHES)

# Measures, then draws what it measured. A benchmark that fails is reported, and the others are
# still measured and drawn.
deps-plots:
	@command -v gnuplot >/dev/null 2>&1 || harness/scripts/deps.sh
plots: deps-plots bench
	@harness/bench/run.sh draw $(BUILD)/bench.stamp

# latencyd, the loopback HTTP server, in the foreground for trying things with curl (Ctrl-C
# stops it); and its benchmark, which starts a server of its own.
PORT ?= 8080
server: $(LATENCYD)
	@$(LATENCYD) --port $(PORT)

bench-server: $(BENCH_SERVER)
	@$(BENCH_SERVER)

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find harness lessons solutions -name '*.[ch]')

format:
	clang-format -i $(C_FILES)

lint:
	clang-format --dry-run -Werror $(C_FILES)
	cppcheck -q --error-exitcode=1 --enable=warning,performance,portability \
	  --suppress=missingIncludeSystem --inline-suppr $(sort $(foreach v,$(filter INC_%,$(.VARIABLES)),$($(v)))) $(C_FILES)

clean:
	rm -rf $(BUILD)

help:
	@echo "conclab: concurrency patterns from Python's asyncio, built for real in C."
	@echo
	@echo "Learners"
	@echo "  make check [L=NN] [T=TEST]  grade your code in lessons/ (writes build/results.json)"
	@echo "  make hint L=NN       the next hint for lesson NN"
	@echo "  make watch [L=NN]    grade again whenever you save a file"
	@echo "  make check L=NN T=TEST V=1  one test, with all it printed"
	@echo "  make progress        every lesson: points, last result, changed since, what next"
	@echo "  make hint L=NN N=K   hint K again"
	@echo "  make reset L=NN [F=FILE]  restore lesson NN's stub as shipped (yours is kept in backup/)"
	@echo "  make plots           measure, then draw the charts under plots/"
	@echo "  make bench           measure only: the CSV files under plots/data/"
	@echo "  make server [PORT=N] run latencyd, the loopback HTTP server, for curl (Ctrl-C stops)"
	@echo
	@echo "Maintainers"
	@echo "  make test            the kit's own tests (what CI runs)"
	@echo "  make stress [RUNS=N] make test N times, half of them beside two CPU hogs"
	@echo "  make fuzz            fuzz latencyd's request parser (clang's libFuzzer, bounded)"
	@echo "  make bench-server    latencyd's requests/s and the overshoot of 1,000 slow requests"
	@echo "  make deps            install the packages the kit needs"
	@echo "  make IMPL=solutions check    grade the reference solutions"
	@echo "  make SAN=thread|address ...  build with ThreadSanitizer, or ASan + UBSan"
	@echo "  make valgrind [L=NN] every test under valgrind's memcheck (IMPL=solutions for the reference)"
	@echo "  make lint | format   clang-format and cppcheck"
	@echo "  make clean           remove build/ (backup/ stays)"
	@echo
	@echo "Instructors"
	@echo "  make gradescope      the autograder zip for Gradescope (no solutions in it)"
	@echo "  make handout         the student kit, without solutions/ or their history"
	@echo "  make IMPL=DIR check  grade a student's lesson files kept in DIR/NN-topic/"

# ---- fuzzing latencyd's request parser (clang's libFuzzer) ----
# The parser is pure (a buffer in, a verdict out), so the fuzzer links ld_http.c alone. A bounded
# run: FUZZ_SECONDS (30 by default); what it learns is kept in $(BUILD)/fuzz/corpus, a crashing
# input goes to $(BUILD)/fuzz/crashes/, and harness/test/fuzz.sh says what it found in one line.
FUZZ_SECONDS ?= 30
FUZZ_BIN := $(BUILD)/fuzz/fuzz_http
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -fno-omit-frame-pointer \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
$(FUZZ_BIN): harness/test/fuzz_http.c harness/latencyd/ld_http.c harness/latencyd/ld_http.h
	@mkdir -p $(@D)
	@harness/scripts/deps.sh fuzz --quiet
	@$(if $(Q),echo "  FUZZ-CC $@")
	$(Q)clang $(FUZZ_CFLAGS) $(INC_latencyd) $(filter %.c,$^) -o $@.$$$$ && mv -f $@.$$$$ $@
fuzz: $(FUZZ_BIN)
	@harness/test/fuzz.sh $(FUZZ_BIN) $(FUZZ_SECONDS) $(BUILD)/fuzz

# The dependency files of the objects this run may build (the race pass's too), each beside its
# object: an object is remade when a header it includes changes.
ALL_OBJS += $(foreach tc,$(TOOLCHAINS),$(call objs,$(BUILD)/$(tc),$(wildcard harness/*/*.c)))
-include $(wildcard $(sort $(ALL_OBJS:.o=.d)))

# ---- handing the kit out: make gradescope, make handout, make progress ----
# Neither copies solutions/ or harness/wrong/ (kit-copy.sh). GRADESCOPE_ZIP and HANDOUT say
# where they go.
GRADESCOPE_ZIP ?= $(BUILD)/gradescope/autograder.zip
HANDOUT ?= $(BUILD)/handout/conclab
.PHONY: gradescope handout progress
gradescope:
	@harness/scripts/gradescope.sh "$(GRADESCOPE_ZIP)"
handout:
	@harness/scripts/handout.sh "$(HANDOUT)"
# Each lesson's points (from its list binary), last result and whether it is stale; what next.
# (progress.sh --next $(PROGRESS_ARGS) prints the last line alone, for make check to end with.)
PROGRESS_ARGS = "$(RESULTS)/results.tsv" \
  $(foreach l,$(LESSONS),$(l) $($(l)_LIST) $($(l)_$(call impl_dir,$(IMPL))_$(TOOL)_BIN))
progress: deps-quiet $(LESSON_LISTS)
	@harness/scripts/progress.sh $(PROGRESS_ARGS)
