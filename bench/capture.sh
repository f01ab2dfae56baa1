#!/usr/bin/env bash
# Capture throughput: `vigil audit` against `tcpdump -r FILE -w /dev/null` on the same ~200 MB
# capture, in the same run. Prints MB/s and packets/s for both; the last line is the ratio
# vigil/tcpdump (higher is better; 1.0 would be as fast as tcpdump merely copying records).
#
#   bash bench/capture.sh [MEGABYTES]     (default 200; the capture is cached in bench/.data/)
set -euo pipefail
cd "$(dirname "$0")/.."

megabytes=${1:-200}
runs=${RUNS:-3}
data=bench/.data
capture=$data/capture-${megabytes}mb.pcap
mkdir -p "$data"

command -v tcpdump >/dev/null || { echo "bench/capture.sh: tcpdump is needed (apt-get install tcpdump)" >&2; exit 2; }
[ -f "$capture" ] || python3 bench/make-capture.py "$capture" "$megabytes"
[ -x .build/release/vigil ] || swift build -c release --product vigil
vigil=.build/release/vigil

# Packet count and findings, from one report.
"$vigil" audit "$capture" --format json --output "$data/report.json" --fail-on none --quiet
read -r packets findings < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["inputs"][0]["packets"], r["summary"]["findings"])' "$data/report.json")
bytes=$(stat -c %s "$capture")

# Warm the page cache so both tools read from memory.
cat "$capture" > /dev/null

read -r t_tcpdump rss_tcpdump _ < <(python3 bench/measure.py "$runs" tcpdump -r "$capture" -w /dev/null)
read -r t_vigil rss_vigil status < <(python3 bench/measure.py "$runs" "$vigil" audit "$capture" \
    --format json --output /dev/null --fail-on none --quiet)
[ "$status" -eq 0 ] || { echo "vigil exited $status" >&2; exit 1; }

python3 - "$bytes" "$packets" "$findings" "$t_tcpdump" "$rss_tcpdump" "$t_vigil" "$rss_vigil" "$runs" <<'PY'
import sys
size, packets, findings = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t_tcpdump, rss_tcpdump, t_vigil, rss_vigil = float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
runs = sys.argv[8]
mb = size / 1e6
print(f"capture: {mb:.1f} MB, {packets} packets; vigil found {findings} findings (best of {runs} runs each)")
print(f"tcpdump -r -w /dev/null: {t_tcpdump:7.3f} s  {mb / t_tcpdump:8.1f} MB/s  {packets / t_tcpdump:12.0f} packets/s  peak RSS {rss_tcpdump / 1024:.1f} MiB")
print(f"vigil audit (json):      {t_vigil:7.3f} s  {mb / t_vigil:8.1f} MB/s  {packets / t_vigil:12.0f} packets/s  peak RSS {rss_vigil / 1024:.1f} MiB")
print(f"ratio vigil/tcpdump (throughput): {t_tcpdump / t_vigil:.2f}")
PY
