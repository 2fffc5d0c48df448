#!/usr/bin/env bash
# Runs the core tests with STREAMSMOTE_INTERNAL_CHECKS: every structure's checkInvariants()
# after each of its mutations (brute force). Builds in .build-checked so that the ordinary
# .build stays unchecked. Tests that measure statistics over long streams (balance grid,
# steadiness) skip themselves under the flag; everything else runs.
#
# Usage: scripts/test-checked.sh [SWIFT TEST ARGS...]   (default: --filter StreamSMOTECoreTests)
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(--filter StreamSMOTECoreTests)
export STREAMSMOTE_INTERNAL_CHECKS=1
swift build --build-tests --scratch-path .build-checked
swift test --skip-build --scratch-path .build-checked "${args[@]}"
