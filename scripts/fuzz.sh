#!/usr/bin/env bash
# Runs every fuzz target in the module for a while each: scripts/fuzz.sh [30s]
set -euo pipefail
cd "$(dirname "$0")/.."
TIME=${1:-30s}
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
	pkg=./$(dirname "${f#./}")
	grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | while read -r fn; do
		echo "== $pkg $fn ($TIME)"
		go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$TIME" "$pkg"
	done
done
