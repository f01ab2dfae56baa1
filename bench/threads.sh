#!/usr/bin/env bash
# Rules on several threads. Audits SERIES log series (the Internet-facing shape of
# bench/make-logs.py, LINES lines each, one per server: web1, web2, ...) with --threads 1 and
# with --threads T for each T of THREADS, and prints for each run the time, the cores used
# (user+system / elapsed) and peak RSS; the baseline is the same vigil with one rules thread in
# the same run. With perf installed it also prints each thread's share of the CPU time of the
# --threads runs (no single thread should carry more than half the work).
#
#   bash bench/threads.sh [LINES] [SERIES]     (default 1000000 lines, 1 and 2 series)
#   THREADS="2 4" (default "2"); RUNS=N (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."

lines=${1:-1000000}
max_series=${2:-2}
runs=${RUNS:-3}
threads=${THREADS:-2}
data=bench/.data
mkdir -p "$data"
[ -n "${VIGIL:-}" ] || [ -x .build/release/vigil ] || swift build -c release --product vigil
vigil=${VIGIL:-.build/release/vigil}
base=$data/auth-${lines}-internet.log
[ -f "$base" ] || python3 bench/make-logs.py "$base" "$lines" internet
logs=()
for number in $(seq 1 "$max_series"); do
    log=$data/series-$number-${lines}.log
    [ -f "$log" ] || sed "s/ web1 / web$number /" "$base" > "$log"
    logs+=("$log")
done
cat "${logs[@]}" > /dev/null  # page cache warm

run() {  # SERIES THREADS -> "seconds cores rss"
    local series=$1 count=$2 best="" out
    for _ in $(seq "$runs"); do
        out=$( { /usr/bin/time -f "%e %U %S %M" "$vigil" audit "${logs[@]:0:$series}" --timezone UTC \
            --format json --output /dev/null --fail-on none --quiet --threads "$count" >/dev/null; } 2>&1 | tail -1)
        read -r e u s m <<< "$out"
        if [ -z "$best" ] || awk "BEGIN{exit !($e < ${best%% *})}"; then
            best="$e $(awk "BEGIN{printf \"%.2f\", ($u+$s)/$e}") $((m / 1024))"
        fi
    done
    echo "$best"
}

printf '%-8s %-8s %10s %8s %8s %10s\n' series threads seconds cores "RSS MB" "vs 1 thread"
for series in $(seq 1 "$max_series"); do
    read -r t1 c1 m1 < <(run "$series" 1)
    printf '%-8s %-8s %10s %8s %8s %10s\n' "$series" 1 "$t1" "$c1" "$m1" "1.00x"
    for count in $threads; do
        read -r t c m < <(run "$series" "$count")
        printf '%-8s %-8s %10s %8s %8s %10s\n' "$series" "$count" "$t" "$c" "$m" \
            "$(awk "BEGIN{printf \"%.2fx\", $t1/$t}")"
    done
done

command -v perf >/dev/null || { echo "(perf not installed: no per-thread shares)"; exit 0; }
for count in 1 $threads; do
    perf record -q -F 999 -o "$data/threads.perf" "$vigil" audit "${logs[0]}" --timezone UTC --format json \
        --output /dev/null --fail-on none --quiet --threads "$count" >/dev/null 2>&1 || true
    shares=$(perf report -i "$data/threads.perf" --sort pid --stdio 2>/dev/null | awk '/%/ && $1+0 >= 1 {printf "%s ", $1}')
    echo "one series, --threads $count: CPU time per thread (over 1%): $shares"
done
rm -f "$data/threads.perf"
