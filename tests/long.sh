#!/bin/sh
# long.sh — placeholder being written by a helper session.
exit 0
