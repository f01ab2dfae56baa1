#!/usr/bin/env bash
# Peak memory on large inputs: a 2 GB capture of each kind (full-size segments; small packets in
# many short flows) and the 2,000,000-line auth.log. Measures, with /usr/bin/time -v:
#   vigil audit FILE --format json --output /dev/null    against
#   tcpdump -r FILE -w /dev/null                         (baseline for the captures)
#   LC_ALL=C sort FILE -o /dev/null                      (baseline for the log: a tool that
#                                                         holds what it reads; for scale)
# and prints each peak RSS, the ratio vigil/baseline, and whether vigil stays under the budget
# (200 MiB, the hardening issue's target) on the last lines. Then the Internet-facing log
# (make-logs.py's `internet` shape: a brute force from 120,000 addresses) at 1, 2, 4 and 8
# million lines (SERIES to choose; the highest of RUNS runs, default 3, per size): each peak must
# stay under 100 MB and within ±10% of the smallest's (memory that does not grow with the input).
#
#   bash bench/memory.sh [MEGABYTES] [LINES]     (defaults 2000 and 2000000; inputs cached in bench/.data/)
#   SERIES="1000000 2000000" bash bench/memory.sh    (the internet-shape sizes; "" skips them)
set -euo pipefail
cd "$(dirname "$0")/.."

megabytes=${1:-2000}
lines=${2:-2000000}
budget_mib=200
data=bench/.data
mkdir -p "$data"
for tool in tcpdump /usr/bin/time sort; do
    command -v "$tool" >/dev/null || { echo "bench/memory.sh: $tool is needed (make bench installs it)" >&2; exit 2; }
done
[ -n "${VIGIL:-}" ] || [ -x .build/release/vigil ] || swift build -c release --product vigil
vigil=${VIGIL:-.build/release/vigil}

peak() {  # peak RSS in KiB of the command
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'
}

results=()
failed=0
for kind in full small; do
    capture=$data/capture-${kind}-${megabytes}mb.pcap
    [ -f "$capture" ] || python3 bench/make-capture.py "$capture" "$megabytes" "$kind"
    size=$(stat -c %s "$capture")
    vigil_kib=$(peak "$vigil" audit "$capture" --format json --output /dev/null --fail-on none --quiet)
    base_kib=$(peak tcpdump -r "$capture" -w /dev/null)
    echo "== capture $kind: $((size / 1000000)) MB: vigil audit $((vigil_kib / 1024)) MiB, tcpdump -r $((base_kib / 1024)) MiB"
    results+=("capture-$kind $((size / 1000000)) MB: vigil $((vigil_kib / 1024)) MiB, vigil/tcpdump $(python3 -c "print(f'{$vigil_kib / $base_kib:.1f}')")")
    [ $((vigil_kib / 1024)) -lt $budget_mib ] || failed=1
done
log=$data/auth-${lines}.log
[ -f "$log" ] || python3 bench/make-logs.py "$log" "$lines"
vigil_kib=$(peak "$vigil" audit "$log" --timezone UTC --format json --output /dev/null --fail-on none --quiet)
base_kib=$(peak env LC_ALL=C sort "$log" -o /dev/null)
echo "== log: $lines lines: vigil audit $((vigil_kib / 1024)) MiB, sort $((base_kib / 1024)) MiB"
results+=("log $lines lines: vigil $((vigil_kib / 1024)) MiB, vigil/sort $(python3 -c "print(f'{$vigil_kib / $base_kib:.2f}')")")
[ $((vigil_kib / 1024)) -lt $budget_mib ] || failed=1
series=${SERIES-1000000 2000000 4000000 8000000}
first_kib=0
for count in $series; do
    log=$data/auth-${count}-internet.log
    [ -f "$log" ] || python3 bench/make-logs.py "$log" "$count" internet
    # The highest of RUNS runs: how far the reading thread runs ahead of the rules (batches in
    # flight) varies with scheduling by up to 10 MB from one run to the next, so one run per size
    # says more about the scheduler than about growth with the input.
    vigil_kib=0
    for _ in $(seq "${RUNS:-3}"); do
        run_kib=$(peak "$vigil" audit "$log" --timezone UTC --format json --output /dev/null --fail-on none --quiet)
        [ "$run_kib" -le "$vigil_kib" ] || vigil_kib=$run_kib
    done
    [ $first_kib -gt 0 ] || first_kib=$vigil_kib
    drift=$(python3 -c "print(f'{($vigil_kib / $first_kib - 1) * 100:+.1f}')")
    echo "== internet-shape log: $count lines: vigil audit $((vigil_kib / 1024)) MiB ($((vigil_kib * 1024 / 1000000)) MB), ${drift}% against the first"
    results+=("internet log $count lines: vigil $((vigil_kib * 1024 / 1000000)) MB, ${drift}% against the first size")
    [ $((vigil_kib * 1024 / 1000000)) -lt 100 ] || failed=1
    python3 -c "import sys; sys.exit(0 if abs($vigil_kib / $first_kib - 1) <= 0.10 else 1)" || failed=1
done
echo
for line in "${results[@]}"; do echo "ratio peak RSS $line"; done
if [ $failed -eq 0 ]; then
    echo "budget: every peak under its budget ($budget_mib MiB; internet-shape logs < 100 MB and flat ±10%)"
else
    echo "budget: a peak is over its budget ($budget_mib MiB; internet-shape logs < 100 MB and flat ±10%)"
fi
exit $failed
