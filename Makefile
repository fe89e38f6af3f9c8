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
HARNESS_PROGRAMS := grade
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

$(HARNESS_LIB): $(HARNESS_LIB_SRC:harness/%.c=$(OUT)/harness/%.o)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/harness/%: $(OUT)/harness/%.o $(HARNESS_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/harness/test_%: $(OUT)/harness/test/test_%.o $(HARNESS_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- the lessons ----
# A lesson is a folder lessons/NN-topic/ with topic.h, the learner's .c files and test_topic.c;
# solutions/NN-topic/ has the same .c files, finished. Nothing else needs to know about it.
ALL_LESSONS := $(sort $(patsubst lessons/%/,%,$(dir $(wildcard lessons/[0-9][0-9]-*/test_*.c))))
LESSONS := $(if $(L),$(filter $(L)-% $(L),$(ALL_LESSONS)),$(ALL_LESSONS))
ifneq ($(L),)
ifeq ($(LESSONS),)
$(error no lesson matches L=$(L); the lessons are: $(ALL_LESSONS))
endif
endif

# lesson_rules(lesson): how to build build/<variant>/<lesson>/test_<topic>.
define lesson_rules
$(1)_TEST := $$(wildcard lessons/$(1)/test_*.c)
$(1)_SRC := $$(filter-out $(IMPL)/$(1)/test_%,$$(wildcard $(IMPL)/$(1)/*.c))
$(1)_BIN := $(OUT)/$(1)/$$(basename $$(notdir $$($(1)_TEST)))
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

# ---- what people run ----
.DEFAULT_GOAL := all
.PHONY: all build build-all harness-tests check test deps deps-quiet help clean hint reset \
        watch lint format

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

hint:
	@harness/hint.sh "$(BUILD)" $(if $(L),$(LESSONS),)

reset:
	@harness/reset.sh "$(BUILD)" $(if $(L),$(LESSONS),)

watch:
	@MAKE="$(MAKE)" harness/watch.sh "$(L)"

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
	@echo
	@echo "Maintainers"
	@echo "  make test            the kit's own tests (what CI runs)"
	@echo "  make deps            install the packages the kit needs"
	@echo "  make IMPL=solutions check    grade the reference solutions"
	@echo "  make SAN=thread|address ...  build with ThreadSanitizer, or ASan + UBSan"
	@echo "  make lint | format   clang-format and cppcheck"
	@echo "  make clean           remove build/"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
