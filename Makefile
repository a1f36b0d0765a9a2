# blur — a plain Makefile. Override CC, CFLAGS, PREFIX, DESTDIR as usual:
#   make CC=clang      make test SANITIZE=1      make install PREFIX=/usr DESTDIR=/tmp/stage

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
CFLAGS  ?= -O2 -g
# Strict warnings, always on (CFLAGS stays the user's to override).
WARN    := -std=c17 -D_DEFAULT_SOURCE -Wall -Wextra -Wpedantic -Wshadow -Wconversion \
           -Wsign-conversion -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wformat=2
PYTHON  ?= /usr/bin/python3

# SANITIZE=1 builds everything under AddressSanitizer + UndefinedBehaviorSanitizer in its own
# directory, so the two builds never mix objects.
ifeq ($(SANITIZE),1)
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD   ?= build
SANFLAGS :=
endif

# Dependencies, from Debian packages through pkg-config. Recursively expanded on purpose: they
# are read after the deps target has had the chance to install what is missing.
PKG_LIBS  = libpng zlib stb
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_LIBS))
PKG_LDLIBS = $(shell pkg-config --libs libpng zlib)
TEST_CFLAGS = $(shell pkg-config --cflags cmocka)
TEST_LDLIBS = $(shell pkg-config --libs cmocka)

ALL_CFLAGS = $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -pthread
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -pthread
LDLIBS_ALL = $(PKG_LDLIBS) -lm

LIB_SRC  := $(sort $(wildcard src/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/lib/%.o)
CLI_OBJ  := $(CLI_SRC:src/cli/%.c=$(BUILD)/cli/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
LIB      := $(BUILD)/libblur.a
BIN      := $(BUILD)/blur

.PHONY: all deps deps-test demo test bench install uninstall clean fuzz fuzz-build
all: $(BIN) blur

# `blur` at the top is a link to the current build, for README's examples.
blur: $(BIN)
	ln -sf $(BIN) blur

# --- dependencies: install what is missing (Debian), or say which package to install ---
define ensure_packages
	@missing=""; \
	command -v pkg-config >/dev/null 2>&1 || missing="pkg-config"; \
	for pair in $(1); do \
	  mod=$${pair%%:*}; deb=$${pair#*:}; \
	  pkg-config --exists $$mod 2>/dev/null || missing="$$missing $$deb"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "blur: installing missing packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	  else echo "blur: please install:$$missing (apt-get install$$missing)"; exit 1; fi; \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "blur: please install the Debian packages:$$missing"; exit 1; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing \
	    || { echo "blur: could not install:$$missing; install them and run make again"; exit 1; }; \
	fi
endef

$(BUILD)/.deps:
	$(call ensure_packages,libpng:libpng-dev zlib:zlib1g-dev stb:libstb-dev)
	@mkdir -p $(BUILD) && touch $@
$(BUILD)/.deps-test: | $(BUILD)/.deps
	$(call ensure_packages,cmocka:libcmocka-dev)
	@touch $@
deps: $(BUILD)/.deps
deps-test: $(BUILD)/.deps-test

# --- the library and the program ---
$(BUILD)/lib/%.o: src/%.c src/blur.h src/internal.h | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(BUILD)/cli/%.o: src/cli/%.c src/cli/cli.h src/blur.h | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# stb_image and stb_image_write (Debian's headers, not ours to patch) shift signed ints past
# their range in their bit buffers: defined on every compiler we use, but UBSan stops on it.
# Only that check is off, only for the file that compiles stb.
STB_NOSAN := -fno-sanitize=shift
$(BUILD)/lib/io_stb.o: ALL_CFLAGS += $(STB_NOSAN)

$(LIB): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) $(CLI_OBJ) $(LIB) $(LDLIBS_ALL) -o $@

# --- tests ---
$(BUILD)/tests/%: tests/%.c tests/testutil.h $(LIB) | $(BUILD)/.deps-test
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Isrc $< $(LIB) $(ALL_LDFLAGS) $(TEST_LDLIBS) $(LDLIBS_ALL) -o $@

# The malformed-input generator (tests/cli_malformed.sh runs it into a temporary directory).
GEN_MALFORMED := $(BUILD)/tests/gen_malformed
$(GEN_MALFORMED): tests/gen_malformed.c | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(ALL_LDFLAGS) $(PKG_LDLIBS) -o $@

test: $(BIN) $(TEST_BIN) $(GEN_MALFORMED)
	@BUILD=$(BUILD) sh tests/run_tests.sh

# --- the demo: blur the sample photo ---
demo: $(BIN) blur
	@mkdir -p out
	$(BIN) assets/coffee.png out/coffee-sigma3.png --sigma 3
	@echo "demo: wrote out/coffee-sigma3.png (assets/coffee.png blurred with sigma 3)"

# --- fixtures: regenerate the scipy references (needs python3-scipy; CI uses the committed ones)
fixtures:
	$(PYTHON) tests/fixtures/make_fixtures.py

# --- fuzzing: libFuzzer targets in tests/fuzz/ under ASan + UBSan (clang). `make fuzz` builds
# them, makes the seed corpora (tests/fuzz/make_seeds.sh) and runs each for FUZZ_SECONDS;
# crashes land in $(FUZZ_BUILD)/crash-*. The corpus grows in $(FUZZ_BUILD)/corpus/ between runs.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   ?= build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(WARN) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -pthread
FUZZ_LIB_OBJ := $(LIB_SRC:src/%.c=$(FUZZ_BUILD)/lib/%.o)
FUZZ_CLI_OBJ := $(filter-out $(FUZZ_BUILD)/cli/main.o,$(CLI_SRC:src/cli/%.c=$(FUZZ_BUILD)/cli/%.o))
# fuzz_png is fuzz_image fed the PNG stream after the signature.
FUZZ_TARGETS := image png matrix cli
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/lib/%.o: src/%.c src/blur.h src/internal.h | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ_BUILD)/cli/%.o: src/cli/%.c src/cli/cli.h src/blur.h | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ_BUILD)/lib/io_stb.o: FUZZ_CFLAGS += $(STB_NOSAN)
$(FUZZ_BUILD)/fuzz_image: tests/fuzz/fuzz_image.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isrc $< $(FUZZ_LIB_OBJ) $(PKG_LDLIBS) -lm -o $@
$(FUZZ_BUILD)/fuzz_png: tests/fuzz/fuzz_image.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFUZZ_PNG_SIGNATURE -Isrc $< $(FUZZ_LIB_OBJ) $(PKG_LDLIBS) -lm -o $@
$(FUZZ_BUILD)/fuzz_matrix: tests/fuzz/fuzz_matrix.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isrc $< $(FUZZ_LIB_OBJ) $(PKG_LDLIBS) -lm -o $@
$(FUZZ_BUILD)/fuzz_cli: tests/fuzz/fuzz_cli.c $(FUZZ_CLI_OBJ) $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isrc $< $(FUZZ_CLI_OBJ) $(FUZZ_LIB_OBJ) $(PKG_LDLIBS) -lm -o $@

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN) $(BIN)
	sh tests/fuzz/make_seeds.sh $(FUZZ_BUILD)/seeds $(BIN)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -close_fd_mask=3 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- \
	    $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/seeds/$$t 2>$(FUZZ_BUILD)/fuzz_$$t.log \
	    || { tail -n 60 $(FUZZ_BUILD)/fuzz_$$t.log; echo "fuzz_$$t: FAILED, see $(FUZZ_BUILD)/crash-$$t-*"; exit 1; }; \
	  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' $(FUZZ_BUILD)/fuzz_$$t.log || true; \
	done

clean:
	rm -rf build build-san build-fuzz out blur
