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

.PHONY: all deps deps-test demo test bench install uninstall clean
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

$(LIB): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) $(CLI_OBJ) $(LIB) $(LDLIBS_ALL) -o $@

# --- tests ---
$(BUILD)/tests/%: tests/%.c tests/testutil.h $(LIB) | $(BUILD)/.deps-test
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Isrc $< $(LIB) $(ALL_LDFLAGS) $(TEST_LDLIBS) $(LDLIBS_ALL) -o $@

test: $(BIN) $(TEST_BIN)
	@BUILD=$(BUILD) sh tests/run_tests.sh

# --- the demo: blur the sample photo ---
demo: $(BIN) blur
	@mkdir -p out
	$(BIN) assets/coffee.png out/coffee-sigma3.png --sigma 3
	@echo "demo: wrote out/coffee-sigma3.png (assets/coffee.png blurred with sigma 3)"
	$(BIN) compare assets/coffee.png out/coffee-compare.png --sigma 3
	@echo "demo: wrote out/coffee-compare.png (a contact sheet: every mask method on it, sigma 3)"

# --- fixtures: regenerate the scipy references (needs python3-scipy; CI uses the committed ones)
fixtures:
	$(PYTHON) tests/fixtures/make_fixtures.py
	$(PYTHON) tests/fixtures/make_kernel_fixtures.py

clean:
	rm -rf build build-san out blur
