# conclab: build, grade, test and plot. One non-recursive Makefile; `make help` lists targets.
#
#   IMPL=lessons|solutions   whose code the lesson tests are built against (default: lessons)
#   L=NN                     one lesson only (make check L=03)
#   SAN=thread|address       build with ThreadSanitizer, or AddressSanitizer + UBSan
#   CC=clang                 another compiler (gcc is the default)
#   V=1                      show the full compiler commands
#
# Every output goes under build/<variant>/, where the variant names IMPL, SAN and the compiler:
# build/lessons/, build/solutions-thread/, build/solutions-clang/... Variants never mix.

IMPL  ?= lessons
SAN   ?=
L     ?=
BUILD ?= build
# L=1 means 01; L=gather means 01-gather.
override L := $(if $(filter 1 2 3 4 5 6 7 8 9,$(L)),0$(L),$(L))

CC := $(if $(filter default,$(origin CC)),gcc,$(CC))
VARIANT := $(IMPL)$(if $(SAN),-$(SAN))$(if $(findstring clang,$(CC)),-clang)
OUT := $(BUILD)/$(VARIANT)

PKGS := libcurl cunit
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# C17 with POSIX 2008. Files that need a GNU or Linux call say so with _GNU_SOURCE at their top.
CFLAGS := -std=c17 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wshadow \
          -Wstrict-prototypes -Wmissing-prototypes -g -pthread -MMD -MP
SAN_thread  := -O1 -fsanitize=thread
SAN_address := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
ifeq ($(SAN),)
CFLAGS += -O2
else ifneq ($(SAN_$(SAN)),)
CFLAGS += $(SAN_$(SAN))
LDFLAGS += $(SAN_$(SAN))
else
$(error SAN must be thread or address, not '$(SAN)')
endif
ifeq ($(filter lessons solutions,$(IMPL)),)
$(error IMPL must be lessons or solutions, not '$(IMPL)')
endif
LDLIBS := $(PKG_LIBS) -lm -pthread

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- the harness ----
# Every harness/*.c is library code except the programs, which each have a main().
HARNESS_PROGRAMS := grade latencyd bench_server
HARNESS_LIB_SRC := $(filter-out $(HARNESS_PROGRAMS:%=harness/%.c),$(wildcard harness/*.c))
HARNESS_LIB := $(OUT)/harness/libconclab.a
HARNESS_BINS := $(HARNESS_PROGRAMS:%=$(OUT)/harness/%)
# The harness's own tests: harness/test/test_*.c, each a test binary of lesson "harness".
HARNESS_TESTS := $(patsubst harness/test/%.c,$(OUT)/harness/%,$(wildcard harness/test/test_*.c))

$(OUT)/harness/%.o: harness/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -Iharness -c $< -o $@

$(OUT)/harness/test/%.o: harness/test/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -Iharness -c $< -o $@

# The archive depends on the Makefile too: when a file moves into HARNESS_PROGRAMS, its object
# must leave the archive, or its main() would end up in every test binary.
$(HARNESS_LIB): $(HARNESS_LIB_SRC:harness/%.c=$(OUT)/harness/%.o) Makefile
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

$(OUT)/harness/%: $(OUT)/harness/%.o $(HARNESS_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/harness/test_%: $(OUT)/harness/test/test_%.o $(HARNESS_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- the lessons ----
# A lesson is a folder lessons/NN-topic/ with topic.h, the learner's .c files and test_topic.c;
# solutions/NN-topic/ has the same .c files, finished. Nothing else needs to know about it.
# Long tests may be split: test_topic.c holds the suite table (and names the binary), and
# test_topic_part.c files hold more tests, all linked into the one binary.
ALL_LESSONS := $(sort $(patsubst lessons/%/,%,$(dir $(wildcard lessons/[0-9][0-9]-*/test_*.c))))
LESSONS := $(if $(L),$(filter $(L)-% $(L) %-$(L),$(ALL_LESSONS)),$(ALL_LESSONS))
ifneq ($(L),)
ifeq ($(LESSONS),)
$(error no lesson matches L=$(L); the lessons are: $(ALL_LESSONS))
endif
endif

# lesson_rules(lesson): how to build build/<variant>/<lesson>/test_<topic>.
define lesson_rules
$(1)_TEST := $$(sort $$(wildcard lessons/$(1)/test_*.c))
$(1)_SRC := $$(filter-out $(IMPL)/$(1)/test_%,$$(wildcard $(IMPL)/$(1)/*.c))
$(1)_BIN := $(OUT)/$(1)/$$(basename $$(notdir $$(firstword $$($(1)_TEST))))
$(1)_OBJ := $$(patsubst %.c,$(OUT)/$(1)/%.o,$$(notdir $$($(1)_TEST) $$($(1)_SRC)))

# The test file always comes from lessons/; the code under test from $(IMPL)/. (Make picks
# the pattern with the shorter stem, so test_% wins over % for the test file.)
$(OUT)/$(1)/test_%.o: lessons/$(1)/test_%.c
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  CC      $$<")
	$$(Q)$$(CC) $$(CFLAGS) $$(PKG_CFLAGS) -Ilessons/$(1) -Iharness -c $$< -o $$@

$(OUT)/$(1)/%.o: $(IMPL)/$(1)/%.c
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  CC      $$<")
	$$(Q)$$(CC) $$(CFLAGS) $$(PKG_CFLAGS) -Ilessons/$(1) -Iharness -c $$< -o $$@

$$($(1)_BIN): $$($(1)_OBJ) $(HARNESS_LIB)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach l,$(ALL_LESSONS),$(eval $(call lesson_rules,$(l))))

LESSON_BINS := $(foreach l,$(LESSONS),$($(l)_BIN))

# ---- benchmarks and charts: make bench, make plots ----
# A benchmark is harness/bench/bench_<name>.c, a program of its own run as `bench_<name> DIR`
# that writes DIR/<name>.csv; a chart is plots/<name>.gp, which reads plots/data/<name>.csv and
# draws plots/<name>.png and .svg. Both are found by their names: adding one needs no edit here.
# A benchmark links the helpers in harness/bench/, the harness, and every lesson's reference
# solution (one static library, so it takes only what it calls).
BENCH_SRC := $(wildcard harness/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRC:harness/bench/%.c=$(OUT)/bench/%)
BENCH_HELPERS := $(patsubst harness/bench/%.c,$(OUT)/bench/%.o,\
                   $(filter-out $(BENCH_SRC),$(wildcard harness/bench/*.c)))
BENCH_CFLAGS = $(CFLAGS) $(PKG_CFLAGS) $(ALL_LESSONS:%=-Ilessons/%) -Iharness -Iharness/bench
SOLUTIONS_LIB := $(OUT)/solutions/libsolutions.a
SOLUTIONS_OBJ := $(patsubst %.c,$(OUT)/%.o,$(wildcard $(ALL_LESSONS:%=solutions/%/*.c)))
# The learner's lesson 05 as a second series of the speedup chart, once `make check` saw it pass.
YOURS_LESSON := 05-pools
YOURS_OBJ := $(patsubst lessons/%.c,$(OUT)/bench/yours/%.o,\
               $(filter-out lessons/$(YOURS_LESSON)/test_%,$(wildcard lessons/$(YOURS_LESSON)/*.c)))
YOURS_BIN := $(OUT)/bench/bench_speedup-yours

$(OUT)/solutions/%.o: solutions/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -Ilessons/$(notdir $(<D)) -Iharness -c $< -o $@

$(SOLUTIONS_LIB): $(SOLUTIONS_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/bench/yours/%.o: lessons/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -Ilessons/$(notdir $(<D)) -Iharness -c $< -o $@

$(OUT)/bench/%.o: harness/bench/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BENCH_CFLAGS) -c $< -o $@

$(OUT)/bench/%-yours.o: harness/bench/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (yours)")
	$(Q)$(CC) $(BENCH_CFLAGS) -DBENCH_YOURS -c $< -o $@

$(BENCH_BINS): $(OUT)/bench/%: $(OUT)/bench/%.o $(BENCH_HELPERS) $(SOLUTIONS_LIB) \
                               $(HARNESS_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The overhead chart also shows the reference process pool with one item in flight per worker
# (stop-and-wait): the same ppool.c built with DEPTH=1, its functions renamed ppool_sw_*.
STOPWAIT_OBJ := $(OUT)/bench/ppool-stopwait.o
$(STOPWAIT_OBJ): solutions/05-pools/ppool.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (DEPTH=1)")
	$(Q)$(CC) $(CFLAGS) -DDEPTH=1 -Dppool_create=ppool_sw_create -Dppool_map=ppool_sw_map \
	  -Dppool_destroy=ppool_sw_destroy -Ilessons/05-pools -Iharness -c $< -o $@
$(OUT)/bench/bench_overhead: $(STOPWAIT_OBJ)

$(YOURS_BIN): $(YOURS_BIN).o $(YOURS_OBJ) $(BENCH_HELPERS) $(HARNESS_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

.PHONY: bench bench-build bench-bins bench-yours plots
# Two jobs at a time, so that `make plots` stays quick on two cores.
bench-build: deps-quiet
	@$(MAKE) --no-print-directory -j2 bench-bins
bench-bins: $(BENCH_BINS)
	@:

# Measures into plots/data/. The learner's series is extra: if it does not build or run, the
# reference charts are still drawn.
bench: bench-build
	@harness/bench/run.sh bench plots/data $(BENCH_BINS); status=$$?; \
	  $(MAKE) --no-print-directory bench-yours; exit $$status

bench-yours:
	@rm -f plots/data/speedup-yours.csv
	@if harness/bench/run.sh passed $(BUILD)/lessons/results.tsv $(YOURS_LESSON); then \
	  { $(MAKE) --no-print-directory -j2 $(YOURS_BIN) >/dev/null && \
	    LIMIT=60 harness/bench/run.sh bench plots/data $(YOURS_BIN); } || { \
	    rm -f plots/data/speedup-yours.csv; \
	    echo "bench: your lesson $(YOURS_LESSON) did not build or run here: reference only"; }; \
	fi

# Builds, measures, then draws what it measured. A benchmark that fails is reported, and the
# others are still measured and drawn.
plots:
	@mkdir -p $(BUILD) && touch $(BUILD)/plots.stamp
	@start=$$(date +%s%N); status=0; \
	  command -v gnuplot >/dev/null 2>&1 || harness/deps.sh || exit 1; \
	  $(MAKE) --no-print-directory bench-build || exit 1; \
	  $(MAKE) --no-print-directory bench || status=1; \
	  harness/bench/run.sh draw $(BUILD)/plots.stamp || status=1; \
	  awk -v a=$$start -v b=$$(date +%s%N) -v s=$$status 'BEGIN { printf "make plots: %.1f s%s\n", \
	    (b - a) / 1e9, s ? ", with failures (see above)" : "" }'; \
	  exit $$status

# ---- what people run ----
.DEFAULT_GOAL := all
.PHONY: all build build-all harness-tests check test deps deps-quiet help clean hint reset \
        watch lint format valgrind

all: build
	@echo "Built $(VARIANT). Next: make check (grade your lessons), make help (everything else)."

build: deps-quiet $(HARNESS_BINS) $(LESSON_BINS)
harness-tests: deps-quiet $(HARNESS_TESTS)
build-all: build harness-tests

# Keep going past a lesson that does not compile: the others are still graded, and that one
# scores zero, with the compiler's errors above the table.
check: deps-quiet
	@$(MAKE) --no-print-directory -k $(HARNESS_BINS) $(LESSON_BINS) || \
	  echo "(some code did not compile: the errors are above; those lessons score 0)"
	@$(OUT)/harness/grade --mode check --tsv $(OUT)/results.tsv --json $(BUILD)/results.json \
	  $(LESSON_BINS)

# The kit's own tests: every solution passes, every stub fails, the harness catches bad tests,
# sanitizers stay quiet. What CI runs.
test: deps
	@BUILD=$(BUILD) MAKE="$(MAKE)" harness/kit-test.sh

deps:
	@harness/deps.sh

# Builds need the packages: say so once, clearly, instead of a wall of compiler errors.
deps-quiet:
	@pkg-config --exists $(PKGS) 2>/dev/null || harness/deps.sh

# Every test under valgrind's memcheck: slow (threads run one at a time), so the timing checks
# are not judged, only what memcheck finds. Needs valgrind (apt-get install valgrind).
VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite
valgrind: build
	@command -v valgrind >/dev/null || { echo "valgrind is not installed: apt-get install valgrind"; exit 1; }
	@rm -f $(OUT)/valgrind.log
	@echo "Under valgrind threads run one at a time, so timing and overlap checks fail by design;"
	@echo "this run judges only what memcheck finds (the summary at the end)."
	@H_TIMEOUT_SCALE=5 $(OUT)/harness/grade --mode memcheck --label valgrind --log $(OUT)/valgrind.log \
	  --tsv $(OUT)/valgrind.tsv --wrapper "$(VALGRIND)" $(LESSON_BINS)
	@$(OUT)/harness/grade --summary $(OUT)/valgrind.log

hint:
	@harness/hint.sh "$(BUILD)" $(if $(L),$(LESSONS),)

reset:
	@harness/reset.sh "$(BUILD)" $(if $(L),$(LESSONS),)

watch:
	@MAKE="$(MAKE)" harness/watch.sh "$(L)"

# latencyd, the loopback HTTP server, in the foreground for trying things with curl (Ctrl-C
# stops it); and its benchmark, which starts a server of its own.
.PHONY: server bench-server
PORT ?= 8080
server: deps-quiet $(OUT)/harness/latencyd
	@$(OUT)/harness/latencyd --port $(PORT)

bench-server: deps-quiet $(OUT)/harness/bench_server
	@$(OUT)/harness/bench_server

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find harness lessons solutions -name '*.[ch]')

format:
	clang-format -i $(C_FILES)

lint:
	clang-format --dry-run -Werror $(C_FILES)
	cppcheck -q --error-exitcode=1 --enable=warning,performance,portability \
	  --suppress=missingIncludeSystem --inline-suppr -Iharness $(C_FILES)

clean:
	rm -rf $(BUILD)

help:
	@echo "conclab: concurrency patterns from Python's asyncio, built for real in C."
	@echo
	@echo "Learners"
	@echo "  make check [L=NN]    grade your code in lessons/ (writes build/results.json)"
	@echo "  make hint L=NN       the next hint for lesson NN"
	@echo "  make watch [L=NN]    grade again whenever you save a file"
	@echo "  make reset L=NN      restore lesson NN's stub (your version is kept in build/backup/)"
	@echo "  make plots           measure, then draw the charts under plots/"
	@echo "  make bench           measure only: the CSV files under plots/data/"
	@echo "  make server [PORT=N] run latencyd, the loopback HTTP server, for curl (Ctrl-C stops)"
	@echo
	@echo "Maintainers"
	@echo "  make test            the kit's own tests (what CI runs)"
	@echo "  make bench-server    latencyd's requests/s and the overshoot of 1,000 slow requests"
	@echo "  make deps            install the packages the kit needs"
	@echo "  make IMPL=solutions check    grade the reference solutions"
	@echo "  make SAN=thread|address ...  build with ThreadSanitizer, or ASan + UBSan"
	@echo "  make valgrind [L=NN] every test under valgrind's memcheck (IMPL=solutions for the reference)"
	@echo "  make lint | format   clang-format and cppcheck"
	@echo "  make clean           remove build/"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- latencyd under clang: a fuzzer for its request parser, its tests under clang's UBSan ----
# (one block, on its own: the fuzzer needs clang's libFuzzer, which `harness/deps.sh fuzz` installs)
#   make fuzz [FUZZ_SECONDS=30]  libFuzzer + ASan + UBSan on ld_http.c for a bounded time; new
#                                inputs go to build/fuzz/corpus/, crashing ones to build/fuzz/crashes/
#   make ubsan-latencyd          latencyd's tests built by clang with ASan + UBSan: clang's UBSan
#                                flags what gcc's does not (NULL + 0, for one)
.PHONY: fuzz fuzz-bin ubsan-latencyd
FUZZ_SECONDS ?= 30
FUZZ_BIN := $(BUILD)/fuzz/fuzz_http
FUZZ_CFLAGS := -std=c17 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wshadow \
               -Wmissing-prototypes -g -O1 -fno-omit-frame-pointer \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
$(FUZZ_BIN): harness/test/fuzz_http.c harness/ld_http.c harness/ld_http.h
	@mkdir -p $(@D)
	@harness/deps.sh fuzz --quiet
	@$(if $(Q),echo "  FUZZ-CC $@")
	$(Q)clang $(FUZZ_CFLAGS) -Iharness $(filter %.c,$^) -o $@
fuzz-bin: $(FUZZ_BIN)
fuzz: $(FUZZ_BIN)
	@harness/test/fuzz.sh $(FUZZ_BIN) $(FUZZ_SECONDS) $(BUILD)/fuzz
ubsan-latencyd: deps-quiet
	@$(MAKE) --no-print-directory -j2 IMPL=solutions SAN=address CC=clang harness-tests
	@status=0; for t in $(BUILD)/solutions-address-clang/harness/test_latencyd*; do \
	  $$t || status=1; done; exit $$status
