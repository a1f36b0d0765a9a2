# cli_install.sh — `make install` into a staging prefix, then a separate program built against
# the installed library through pkg-config, statically and dynamically; `make uninstall`.
. tests/clilib.sh
BUILD_DIR=$(dirname "$BLUR")
STAGE="$T/stage"
if ! make -s install PREFIX="$STAGE" BUILD="$BUILD_DIR" SANITIZE="${SANITIZE:-}" >"$T/install.log" 2>&1; then
    bad "make install" "$(tail -5 "$T/install.log")"
    finish
    exit
fi
ok "make install"
for f in bin/blur lib/libblur.a lib/libblur.so lib/libblur.so.0 include/blur.h lib/pkgconfig/blur.pc \
    share/man/man1/blur.1 share/bash-completion/completions/blur; do
    expect_true "installs $f" test -e "$STAGE/$f"
done
expect_true "soname is versioned" sh -c "objdump -p '$STAGE/lib/libblur.so' | grep -q 'SONAME *libblur.so.0'"

export PKG_CONFIG_PATH="$STAGE/lib/pkgconfig"
run pkg-config --cflags --libs blur
expect_status "pkg-config knows blur" 0
expect_true "pkg-config points at the stage" grep -q -- "-I$STAGE/include" "$T/stdout"

# Built the way a user would, outside the tree, with only the installed header.
cp tests/example.c "$T/example.c"
SAN=""
[ "${SANITIZE:-}" = 1 ] && SAN="-fsanitize=address,undefined"
run sh -c "cc $SAN -o '$T/example' '$T/example.c' \$(pkg-config --cflags --libs blur)"
expect_status "example builds against the shared library" 0
run env LD_LIBRARY_PATH="$STAGE/lib" "$T/example" assets/coffee.png "$T/ex.png" 2
expect_status "example runs" 0
expect_true "example prints the 17-tap mask" sh -c "[ \$(wc -w <'$T/stdout') -eq 17 ]"
run "$BLUR" assets/coffee.png "$T/cli.png" --sigma 2
expect_true "library and program agree" cmp -s "$T/ex.png" "$T/cli.png"
run sh -c "cc $SAN -o '$T/example-static' '$T/example.c' \$(pkg-config --cflags blur) '$STAGE/lib/libblur.a' \$(pkg-config --libs-only-other --libs-only-l --static blur | sed 's/-lblur//')"
expect_status "example builds against the static library" 0

run make -s uninstall PREFIX="$STAGE"
expect_status "make uninstall" 0
expect_true "uninstall removes the files" sh -c "[ -z \"\$(find '$STAGE' -type f)\" ]"
finish
