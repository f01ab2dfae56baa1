#!/usr/bin/env bash
# Builds Vigil's libFuzzer targets and runs each for SECONDS (default 30), after replaying its
# regression inputs (Fuzz/Regressions/TARGET/: every crash ever found). Prints, per target, the
# executions done and whether it stayed crash-free; exits 1 if any target crashed, hung or leaked.
#
#   bash Fuzz/run.sh [SECONDS] [TARGET...]       (make fuzz FUZZ_SECONDS=600 for the long runs)
#
# Working corpora persist in .build-fuzz/corpus/TARGET; seeds are remade from the fixtures each
# time (Fuzz/make-corpus.py). Crashing inputs land in .build-fuzz/artifacts/TARGET/.
# FUZZ_NO_BUILD=1 skips the build; FUZZ_BIN=DIR runs the binaries in DIR (a frozen copy).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
all=(FuzzCaptureFile FuzzFrames FuzzFlows FuzzLogLines FuzzJournal FuzzGzip FuzzRules FuzzNwipe FuzzCertificate)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
scratch=.build-fuzz

if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    # `--sanitize=fuzzer` links libFuzzer but, with this Swift, instruments only C code (libyaml):
    # the coverage the fuzzer is guided by must be asked for (without it, the Swift parsers ran
    # blind: 3,935 counters, all libyaml's, against about 65,000 now).
    (cd Fuzz && swift build -c release -Xswiftc -enable-testing --sanitize=fuzzer --sanitize=address \
        -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
        --scratch-path ../$scratch 2>&1 | grep -v "Cannot export local symbol") || exit 1
fi
seeds_dir=$scratch/seeds-$$
rm -rf "$seeds_dir"
python3 Fuzz/make-corpus.py "$seeds_dir" >/dev/null || exit 1
trap 'rm -rf "$seeds_dir"' EXIT
bin_dir=${FUZZ_BIN:-$scratch/release}

# A crash must not hang in Swift's backtracer; leaks are reported (and fail) at the end of a run.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
failed=0
summary=()
for target in "${targets[@]}"; do
    binary=$bin_dir/$target
    mkdir -p "$scratch/corpus/$target" "$scratch/artifacts/$target" "$scratch/logs"
    log=$scratch/logs/$target.log
    regressions=(Fuzz/Regressions/$target/*)
    if [ -e "${regressions[0]}" ]; then
        if ! "$binary" -timeout=10 -rss_limit_mb=2048 "${regressions[@]}" >"$log.regressions" 2>&1; then
            echo "$target: a regression input fails again (see $log.regressions)"
            failed=1
            summary+=("$target: REGRESSION")
            continue
        fi
    fi
    seeds=()
    [ -d "$seeds_dir/$target" ] && seeds=("$seeds_dir/$target")
    "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$target/" \
        "$scratch/corpus/$target" "${seeds[@]}" >"$log" 2>&1
    status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ $status -eq 0 ]; then
        summary+=("$target: ${runs:-?} executions in ${seconds} s, ${cov:-cov: ?}, no crash")
    else
        failed=1
        artifact=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //')
        summary+=("$target: FAILED after ${runs:-?} executions: ${artifact:-see $log}")
        grep -m1 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)" "$log" || true
        echo "  copy the input into Fuzz/Regressions/$target/ once fixed; the log is $log"
    fi
done
printf '%s\n' "${summary[@]}"
exit $failed
