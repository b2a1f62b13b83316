#!/usr/bin/env bash
# Runs every fuzz target in the module for a while each: scripts/fuzz.sh [30s]
# A target fails when go test fails and wrote a reproducer under
# testdata/fuzz/<target>/. A bare "context deadline exceeded" at the end of
# -fuzztime, with no reproducer, is Go's fuzz-coordinator race
# (go.dev/issue/75804, fixed in Go 1.27): reported as a flake, not a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
TIME=${1:-30s}
failed=0 flaked=0 passed=0
while read -r f; do
	pkg=./$(dirname "${f#./}")
	while read -r fn; do
		echo "== $pkg $fn ($TIME)"
		corpus="$pkg/testdata/fuzz/$fn"
		before=$(ls "$corpus" 2>/dev/null | sort)
		out=$(go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$TIME" "$pkg" 2>&1)
		rc=$?
		echo "$out" | tail -n 3
		after=$(ls "$corpus" 2>/dev/null | sort)
		if [ "$rc" -eq 0 ]; then
			passed=$((passed + 1))
		elif [ "$before" = "$after" ] && grep -q "context deadline exceeded" <<<"$out"; then
			echo "   flake: Go's fuzztime deadline race, no reproducer written"
			flaked=$((flaked + 1))
		else
			echo "$out" | tail -n 30
			echo "   FAILED: reproducer in $corpus"
			failed=$((failed + 1))
		fi
	done < <(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //')
done < <(grep -rl --include='*_test.go' '^func Fuzz' .)
echo "fuzz: $passed passed, $flaked flaked, $failed failed"
[ "$failed" -eq 0 ]
