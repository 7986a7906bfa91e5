#!/bin/sh
# Regenerates the build system (configure, Makefile.in) from configure.ac
# and Makefile.am. Run once after a clean clone, before ./configure.
set -e
cd "$(dirname "$0")"
autoreconf --install --force --warnings=all
