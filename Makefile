# blur — a plain Makefile. Override CC, CFLAGS, PREFIX, DESTDIR as usual:
#   make CC=clang      make test SANITIZE=1      make install PREFIX=/usr DESTDIR=/tmp/stage

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
VERSION := $(shell sed -n 's/^\#define BLUR_VERSION_STRING "\(.*\)"/\1/p' src/blur.h)
SOVERSION := 0
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
PKG_LIBS  = libpng libjpeg zlib stb
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_LIBS))
PKG_LDLIBS = $(shell pkg-config --libs libpng libjpeg zlib)
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
SHLIB    := $(BUILD)/libblur.so.$(VERSION)
BIN      := $(BUILD)/blur

.PHONY: all deps deps-test demo test bench bench-filter bench-e2e install uninstall clean fuzz fuzz-build
all: $(BIN) blur $(SHLIB)

# `blur` at the top is a link to the current build, for README's examples. Phony, so it
# follows the build asked for: a link to build-san/ is newer than build/blur, and was kept.
.PHONY: blur
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
	$(call ensure_packages,libpng:libpng-dev libjpeg:libjpeg-dev zlib:zlib1g-dev stb:libstb-dev)
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

# Only the public blur_* names are exported; blur__* helpers stay inside the library.
$(BUILD)/libblur.map:
	@mkdir -p $(@D)
	printf '{ global: blur_[a-z]*; local: *; };\n' >$@

$(SHLIB): $(LIB_OBJ) $(BUILD)/libblur.map
	$(CC) -shared -Wl,-soname,libblur.so.$(SOVERSION) -Wl,--version-script=$(BUILD)/libblur.map \
	  $(ALL_LDFLAGS) $(LIB_OBJ) $(LDLIBS_ALL) -o $@

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) $(CLI_OBJ) $(LIB) $(LDLIBS_ALL) -o $@

# --- SIMD variants of the two fast paths (fir.c and decim.c each pick one at run time): own -m
# flags per file ---
SIMD_VARIANTS := fir_avx2 fir_avx512 decim_avx2 decim_avx512
ifeq ($(shell $(CC) -dumpmachine 2>/dev/null | grep -c '^x86_64'),1)
# fir: the float passes fuse their multiply-adds where the generic code does (fmaf), and only
# there (-ffp-contract=off).
SIMD_FLAGS_fir_avx2     := -mavx2 -mfma -ffp-contract=off
SIMD_FLAGS_fir_avx512   := -mavx2 -mfma -mavx512f -mavx512bw -mavx512vl -mavx512vnni -ffp-contract=off
# decim: each variant in its own vector width (decim_simd.h), multiply-adds fused.
SIMD_FLAGS_decim_avx2   := -mavx2 -mfma
SIMD_FLAGS_decim_avx512 := -mavx2 -mfma -mavx512f -mavx512bw -mavx512vl -mavx512dq
$(BUILD)/lib/fir.o $(BUILD)/lib/decim.o: ALL_CFLAGS += -DBLUR_HAVE_X86_SIMD
$(SIMD_VARIANTS:%=$(BUILD)/lib/%.o): $(BUILD)/lib/%.o: src/%.c src/internal.h | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SIMD_FLAGS_$*) -fPIC -c $< -o $@
endif
$(BUILD)/lib/fir.o: src/fir.h
$(BUILD)/lib/fir_avx2.o $(BUILD)/lib/fir_avx512.o: src/fir.h src/fir_simd.h
$(BUILD)/lib/decim.o $(BUILD)/lib/decim_avx2.o $(BUILD)/lib/decim_avx512.o: src/decim.h src/decim_simd.h

# --- tests ---
$(BUILD)/tests/%: tests/%.c tests/testutil.h $(LIB) | $(BUILD)/.deps-test
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Isrc $< $(LIB) $(ALL_LDFLAGS) $(TEST_LDLIBS) $(LDLIBS_ALL) -o $@

# Allocation failures are injected by wrapping the allocator of everything linked statically.
$(BUILD)/tests/test_alloc: LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

# The malformed-input generator (tests/cli_malformed.sh runs it into a temporary directory).
GEN_MALFORMED := $(BUILD)/tests/gen_malformed
$(GEN_MALFORMED): tests/gen_malformed.c | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(ALL_LDFLAGS) $(PKG_LDLIBS) -o $@

test: $(BIN) $(TEST_BIN) $(GEN_MALFORMED)
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) sh tests/run_tests.sh

# --- benchmarks (not tests: timings are reported, never asserted) ---
$(BUILD)/bench/%: tests/bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Isrc $< $(LIB) $(ALL_LDFLAGS) $(LDLIBS_ALL) -o $@

bench-e2e: $(BIN) $(BUILD)/bench/tile
	@BUILD=$(BUILD) sh tests/bench/bench_e2e.sh

# --- bench-filter: times the filter on a 6000x4000 image (tests/bench/bench.c; not a test) ---
BENCH_BIN := $(BUILD)/bench/bench
bench-filter: $(BENCH_BIN)
	$(BENCH_BIN) $(BENCH_ARGS)

# Every benchmark: the filter against OpenCV, PNG to PNG against vips and OpenCV, and the
# kernel matrix against numpy. Each prints its ratios; none asserts a time.
bench: bench-filter bench-e2e bench-rbf

# --- the demo: blur the sample photo ---
demo: $(BIN) blur
	@mkdir -p out
	$(BIN) assets/coffee.png out/coffee-sigma3.png --sigma 3
	@echo "demo: wrote out/coffee-sigma3.png (assets/coffee.png blurred with sigma 3)"
	$(BIN) compare assets/coffee.png out/coffee-compare.png --sigma 3
	@echo "demo: wrote out/coffee-compare.png (a contact sheet: every mask method on it, sigma 3)"

# --- fixtures: regenerate the peers' references (python3-scipy, python3-opencv, python3-pil,
# imagemagick; CI uses the committed ones)
fixtures:
	$(PYTHON) tests/fixtures/make_kernel_fixtures.py
	$(PYTHON) tests/fixtures/make_filter_fixtures.py
	$(PYTHON) tests/fixtures/make_pngsuite_refs.py
	$(PYTHON) tests/fixtures/compare/make_compare_fixtures.py
	$(PYTHON) tests/fixtures/make_psd_fixtures.py
	$(PYTHON) tests/fixtures/make_jpeg_fixtures.py
	$(PYTHON) tests/fixtures/make_exif_fixtures.py

# --- install: the program, both libraries, the header, pkg-config file, man page, completion ---
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/blur
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libblur.a
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/libblur.so.$(VERSION)
	ln -sf libblur.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libblur.so.$(SOVERSION)
	ln -sf libblur.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libblur.so
	install -m 644 src/blur.h $(DESTDIR)$(INCLUDEDIR)/blur.h
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	  'Name: blur' 'Description: Gaussian smoothing of images, Gaussian masks and kernel matrices' \
	  'Version: $(VERSION)' 'Requires.private: libpng libjpeg zlib' \
	  'Libs: -L$${libdir} -lblur' 'Libs.private: -lm -pthread' 'Cflags: -I$${includedir}' \
	  >$(DESTDIR)$(LIBDIR)/pkgconfig/blur.pc
	install -m 644 src/cli/blur.1 $(DESTDIR)$(MANDIR)/man1/blur.1
	install -m 644 src/cli/blur.bash-completion $(DESTDIR)$(BASHCOMPDIR)/blur

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/blur $(DESTDIR)$(LIBDIR)/libblur.a \
	  $(DESTDIR)$(LIBDIR)/libblur.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libblur.so.$(SOVERSION) \
	  $(DESTDIR)$(LIBDIR)/libblur.so $(DESTDIR)$(INCLUDEDIR)/blur.h \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/blur.pc $(DESTDIR)$(MANDIR)/man1/blur.1 \
	  $(DESTDIR)$(BASHCOMPDIR)/blur

# --- fuzzing: libFuzzer targets in tests/fuzz/ under ASan + UBSan (clang). `make fuzz` builds
# them, makes the seed corpora (tests/fuzz/make_seeds.sh) and runs each for FUZZ_SECONDS;
# crashes land in $(FUZZ_BUILD)/crash-*. The corpus grows in $(FUZZ_BUILD)/corpus/ between runs.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
# FUZZ_SEED=N makes a run repeatable (CI uses one, so a submission is not failed by a random
# path that a longer local run with the same seed already walked); empty = a random seed.
FUZZ_SEED    ?=
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
	    $(if $(FUZZ_SEED),-seed=$(FUZZ_SEED)) \
	    -close_fd_mask=3 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- \
	    $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/seeds/$$t 2>$(FUZZ_BUILD)/fuzz_$$t.log \
	    || { tail -n 60 $(FUZZ_BUILD)/fuzz_$$t.log; echo "fuzz_$$t: FAILED, see $(FUZZ_BUILD)/crash-$$t-*"; exit 1; }; \
	  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' $(FUZZ_BUILD)/fuzz_$$t.log || true; \
	done

clean:
	rm -rf build build-san build-clang build-fuzz out blur

# --- bench-rbf: the Gaussian kernel matrix against numpy + scipy cdist, in the same run ---
# (tests/bench/bench_rbf.c runs tests/bench/bench_rbf.py; timings are reported, never asserted)
BENCH_RBF_BIN := $(BUILD)/bench/bench_rbf
.PHONY: bench-rbf fixtures-rbf
bench-rbf: $(BENCH_RBF_BIN)
	$(BENCH_RBF_BIN) $(BENCH_RBF_THREADS)
# regenerate tests/fixtures/rbf and tests/fixtures/matrix (numpy, scipy; CI uses the committed ones)
fixtures-rbf:
	$(PYTHON) tests/fixtures/make_rbf_fixtures.py
