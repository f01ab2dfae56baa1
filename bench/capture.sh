#!/usr/bin/env bash
# Capture throughput and memory. On two captures of ~200 MB each (one of mostly full-size
# segments, one of mostly small packets in many short flows), times, in the same run:
#   vigil audit FILE --format json --output /dev/null
#   tcpdump -r FILE -w /dev/null        (baseline: reading the records and nothing else)
#   dsniff -n -m -p FILE                (baseline: the fastest credential sniffer)
# and prints MB/s and packets/s for each, vigil's peak RSS (from /usr/bin/time -v), and the
# ratios vigil/tcpdump and vigil/dsniff (throughput; higher is better) on the last lines.
#
#   bash bench/capture.sh [MEGABYTES]     (default 200; captures are cached in bench/.data/)
set -euo pipefail
cd "$(dirname "$0")/.."

megabytes=${1:-200}
runs=${RUNS:-3}
data=bench/.data
mkdir -p "$data"
for tool in tcpdump dsniff /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench/capture.sh: $tool is needed (make bench installs it)" >&2; exit 2; }
done
[ -n "${VIGIL:-}" ] || [ -x .build/release/vigil ] || swift build -c release --product vigil
vigil=${VIGIL:-.build/release/vigil}

ratios=()
for kind in full small; do
    capture=$data/capture-${kind}-${megabytes}mb.pcap
    [ -f "$capture" ] || python3 bench/make-capture.py "$capture" "$megabytes" "$kind"
    "$vigil" audit "$capture" --format json --output "$data/report-$kind.json" --fail-on none --quiet
    read -r packets findings < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["inputs"][0]["packets"], r["summary"]["findings"])' "$data/report-$kind.json")
    bytes=$(stat -c %s "$capture")
    cat "$capture" > /dev/null  # warm the page cache: every tool reads from memory

    read -r t_tcpdump _ _ < <(python3 bench/measure.py "$runs" tcpdump -r "$capture" -w /dev/null)
    read -r t_dsniff _ _ < <(python3 bench/measure.py "$runs" dsniff -n -m -p "$capture")
    read -r t_vigil _ status < <(python3 bench/measure.py "$runs" "$vigil" audit "$capture" \
        --format json --output /dev/null --fail-on none --quiet)
    [ "$status" -eq 0 ] || { echo "vigil exited $status" >&2; exit 1; }
    rss_kib=$(/usr/bin/time -v "$vigil" audit "$capture" --format json --output /dev/null --fail-on none --quiet \
        2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}')

    python3 - "$kind" "$bytes" "$packets" "$findings" "$t_tcpdump" "$t_dsniff" "$t_vigil" "$rss_kib" "$runs" <<'PY'
import sys
kind = sys.argv[1]
size, packets, findings = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t_tcpdump, t_dsniff, t_vigil, rss = float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8])
mb = size / 1e6
print(f"== {kind}: {mb:.1f} MB, {packets} packets ({size / packets:.0f} bytes each); vigil: {findings} findings; best of {sys.argv[9]} runs")
for name, t in (("tcpdump -r -w /dev/null", t_tcpdump), ("dsniff -n -m -p", t_dsniff), ("vigil audit", t_vigil)):
    print(f"   {name:24s} {t:7.3f} s  {mb / t:8.1f} MB/s  {packets / t:11.0f} packets/s")
print(f"   vigil peak RSS (/usr/bin/time -v): {rss / 1024:.1f} MiB")
PY
    ratios+=("$kind: vigil/tcpdump $(python3 -c "print(f'{$t_tcpdump / $t_vigil:.2f}')"), vigil/dsniff $(python3 -c "print(f'{$t_dsniff / $t_vigil:.2f}')"), peak RSS $((rss_kib / 1024)) MiB")
done
echo
for line in "${ratios[@]}"; do echo "ratio $line"; done
