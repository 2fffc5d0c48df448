#!/usr/bin/env bash
# Fuzzes the event decoders and the resampling engine with libFuzzer: builds the target with
# -sanitize=fuzzer,address and -DSTREAMSMOTE_INTERNAL_CHECKS (every engine structure checks its
# invariants after each mutation) into .build-fuzz, runs it for SECONDS on a temporary copy of
# its seed corpus (Fuzz/corpus/TARGET plus, for the decoders, the codec fixtures), and exits
# non-zero if libFuzzer found a crash, a violated property, a leak, a timeout or an
# out-of-memory, printing the reproducer's path.
#
# Usage: scripts/fuzz.sh TARGET|all SECONDS [--merge] [--no-fixtures] [--keep] [-- LIBFUZZER_ARGS...]
#   TARGET         json | protobuf | csv | engine  (products fuzz-json, fuzz-protobuf, fuzz-csv,
#                  fuzz-engine)
#   --merge        afterwards, merge inputs that add coverage into Fuzz/corpus/TARGET (commit them)
#   --no-fixtures  seed from Fuzz/corpus/TARGET only, not Tests/…/Fixtures/{hostile,interop}
#   --keep         keep the temporary corpus and log (path printed)
# Environment: FUZZ_SANITIZERS (default fuzzer,address), FUZZ_JOBS (libFuzzer -jobs/-workers,
# default 1), FUZZ_CSV_REPLAY=0 (csv: leave out the replay reader).
# Reproduce a finding: .build-fuzz/release/fuzz-TARGET CRASH_FILE (one run, sanitized), or
# `swift run fuzz-TARGET CRASH_FILE` in an ordinary build.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '8,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[[ $# -ge 2 ]] || usage
target=$1
seconds=$2
shift 2
merge=0 fixtures=1 keep=0
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --merge) merge=1 ;;
    --no-fixtures) fixtures=0 ;;
    --keep) keep=1 ;;
    --) shift; extra=("$@"); break ;;
    *) usage ;;
  esac
  shift
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "fuzz.sh: SECONDS must be a positive integer" >&2; exit 2; }

case $target in
  all) targets=(json protobuf csv engine) ;;
  json | protobuf | csv | engine) targets=("$target") ;;
  *) echo "fuzz.sh: unknown target $target (json, protobuf, csv, engine, all)" >&2; exit 2 ;;
esac

scratch=.build-fuzz
sanitizers=${FUZZ_SANITIZERS:-fuzzer,address}
flags=(-c release --scratch-path "$scratch" -Xswiftc "-sanitize=$sanitizers" -Xswiftc -parse-as-library -Xswiftc -DFUZZING
  -Xswiftc -DSTREAMSMOTE_INTERNAL_CHECKS)
fixtures_dir=Tests/StreamSMOTEServiceTests/Fixtures
root=$PWD
bin=$(swift build "${flags[@]}" --show-bin-path)
bin=${bin#"$root"/}
artifacts=$scratch/findings
mkdir -p "$artifacts"

# Largest input per target: past the decoders' 4096-byte test limit so `oversize` is reached.
max_len() { case $1 in json | protobuf) echo 4160 ;; csv | engine) echo 4096 ;; esac; }

fuzz_one() {
  local t=$1 product=fuzz-$1 work corpus log status=0
  echo "== $product: building ($sanitizers)"
  swift build "${flags[@]}" --product "$product" 2>&1 | grep -E 'error:|Build of product|Compiling' | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
  [[ -x $bin/$product ]] || { echo "fuzz.sh: build of $product failed" >&2; return 2; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$t.XXXXXX")
  corpus=$work/corpus
  log=$work/fuzz.log
  mkdir -p "$corpus"
  cp Fuzz/corpus/"$t"/* "$corpus"/
  if [[ $fixtures == 1 && ($t == json || $t == protobuf) ]]; then
    local ext=json
    [[ $t == protobuf ]] && ext=pb
    for f in "$fixtures_dir"/hostile/*."$ext" "$fixtures_dir"/interop/*."$ext"; do
      cp "$f" "$corpus/fixture-$(basename "$(dirname "$f")")-$(basename "$f")"
    done
  fi
  echo "== $product: $seconds s on $(ls "$corpus" | wc -l) seeds, log $log"
  local parallel=()
  if [[ ${FUZZ_JOBS:-1} -gt 1 ]]; then parallel=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS"); fi
  # Findings go to $artifacts/<target>-crash-<sha1> (…-leak-, -timeout-, -oom-). Runs in $work,
  # where jobs mode writes its fuzz-N.log files. The Swift runtime's backtracer would take the
  # crash signal before libFuzzer does, so it is off.
  (cd "$work" && SWIFT_BACKTRACE=enable=no TMPDIR=$work "$root/$bin/$product" "$corpus" \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -dict="$root/Fuzz/$t.dict" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${parallel[@]}" \
    -artifact_prefix="$root/$artifacts/$t-" "${extra[@]}") >"$log" 2>&1 || status=$?
  if [[ ${#parallel[@]} -gt 0 ]]; then cat "$work"/fuzz-*.log >>"$log" 2>/dev/null || true; fi
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | tail -2 || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
  local reproducer
  reproducer=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //' || true)
  if [[ $status != 0 || -n $reproducer ]]; then
    echo "== $product: FINDING (libFuzzer exit status $status)"
    grep -E 'ERROR: |fuzz property violated|Fatal error|SUMMARY:' "$log" | head -5 || true
    if [[ -n $reproducer ]]; then
      reproducer=${reproducer#"$root"/}
      echo "reproducer: $reproducer"
      echo "replay:     $bin/$product $reproducer"
    fi
    echo "full log:   $log"
    return 1
  fi
  if [[ $merge == 1 ]]; then
    local before
    before=$(ls Fuzz/corpus/"$t" | wc -l)
    SWIFT_BACKTRACE=enable=no TMPDIR=$work "$bin/$product" -merge=1 -max_len="$(max_len "$t")" Fuzz/corpus/"$t" "$corpus" >>"$log" 2>&1
    echo "== $product: merged, Fuzz/corpus/$t has $(ls Fuzz/corpus/"$t" | wc -l) files (was $before)"
  fi
  if [[ $keep == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
  echo "== $product: no findings"
}

failed=0
for t in "${targets[@]}"; do
  fuzz_one "$t" || failed=1
done
exit $failed
