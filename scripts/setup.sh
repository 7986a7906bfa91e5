# scripts/setup.sh — sourced by demo.sh and test.sh: installs the Debian
# packages mpickpt needs (only those missing) and builds the tree in build/.
# Invariant: nothing is downloaded except Debian packages through apt-get.

# Debian packages needed to build and test mpickpt.
MPICKPT_PACKAGES="gcc make autoconf automake libtool pkg-config \
libopenmpi-dev openmpi-bin libhwloc-dev libzstd-dev zstd libcmocka-dev xxhash"

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"

say() { echo "mpickpt-setup: $*" >&2; }

install_missing_packages() {
    missing=""
    for pkg in $MPICKPT_PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
            || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        say "missing Debian packages:$missing"
        say "install them with: sudo apt-get install -y$missing"
        exit 2
    fi
    say "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || { say "apt-get update failed"; exit 1; }
    apt-get install -y -qq $missing >/dev/null || { say "apt-get install failed"; exit 1; }
}

# build_tree [CONFIGURE-ARGS...] — autogen, configure (into build/) and make.
build_tree() {
    cd "$top" || exit 1
    if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
        say "running autogen.sh"
        ./autogen.sh >"$top/autogen.log" 2>&1 || { cat "$top/autogen.log" >&2; say "autogen.sh failed"; exit 1; }
    fi
    mkdir -p "$build" && cd "$build" || exit 1
    wanted="$*"
    if [ ! -f config.status ] || [ "$(cat .configure-args 2>/dev/null)" != "$wanted" ] \
       || [ "$top/configure" -nt config.status ]; then
        say "running configure $wanted"
        "$top/configure" "$@" >configure.out 2>&1 || { tail -5 configure.out >&2; say "configure failed (see build/config.log)"; exit 1; }
        echo "$wanted" > .configure-args
    fi
    say "running make"
    make -j"$(nproc)" >make.out 2>&1 || { grep -E 'error|Error' make.out | head -20 >&2; say "make failed (see build/make.out)"; exit 1; }
}

# MPI as root needs Open MPI's consent; ranks beyond cores need to yield.
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
