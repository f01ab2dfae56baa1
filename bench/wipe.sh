#!/usr/bin/env bash
# Wipe verification throughput. On a zero-filled image of SIZE GiB (default 4, a real file, not
# sparse: every block is on disk), times in the same run:
#   dd if=IMG of=/dev/null bs=1M                       (baseline: reading the image at all)
#   vigil wipe verify IMG --expect zero --full         (reading and checking every byte)
# both with the image in the page cache ("cached") and evicted from it before each run
# ("uncached", posix_fadvise DONTNEED, no root needed), and prints the ratio vigil/dd for each
# (target ≥ 0.9), and that --fail-fast stops at a difference at the start of the image.
#
#   bash bench/wipe.sh [SIZE_GIB]      RUNS=N (default 3): best of N for each
set -euo pipefail
cd "$(dirname "$0")/.."

gib=${1:-4}
runs=${RUNS:-3}
data=bench/.data
mkdir -p "$data"
[ -n "${VIGIL:-}" ] || [ -x .build/release/vigil ] || swift build -c release --product vigil
vigil=${VIGIL:-.build/release/vigil}
image=$data/zero-${gib}g.img
if [ ! -f "$image" ] || [ "$(stat -c %s "$image")" -ne $((gib << 30)) ]; then
    dd if=/dev/zero of="$image" bs=16M count=$((gib * 64)) status=none
    sync
fi
evict() { python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)' "$image"; }
warm() { cat "$image" > /dev/null; }

best() {  # best() MODE COMMAND...: best wall time of $runs runs, evicting or warming first
    local mode=$1; shift
    local best=""
    for _ in $(seq "$runs"); do
        if [ "$mode" = uncached ]; then evict; else warm; fi
        local start end
        start=$(date +%s.%N)
        "$@" > /dev/null 2>&1 || { status=$?; [ "$status" -eq 1 ] || { echo "bench/wipe.sh: $* exited $status" >&2; exit 1; }; }
        end=$(date +%s.%N)
        best=$(python3 -c "import sys; t=float(sys.argv[2])-float(sys.argv[1]); b=sys.argv[3]; print(t if not b or t < float(b) else b)" "$start" "$end" "$best")
    done
    echo "$best"
}

for mode in cached uncached; do
    t_dd=$(best "$mode" dd if="$image" of=/dev/null bs=1M)
    t_vigil=$(best "$mode" "$vigil" wipe verify "$image" --expect zero --full --quiet)
    python3 - "$mode" "$gib" "$t_dd" "$t_vigil" <<'PY'
import sys
mode, gib, t_dd, t_vigil = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
size = gib * 1024
print(f"== {mode}: {gib} GiB zero image, best of runs")
print(f"   dd bs=1M                    {t_dd:8.3f} s  {size / t_dd:10,.0f} MiB/s")
print(f"   vigil wipe verify --full    {t_vigil:8.3f} s  {size / t_vigil:10,.0f} MiB/s")
print(f"ratio {mode}: vigil/dd {t_dd / t_vigil:.2f} (target 0.9)")
PY
done

# --fail-fast: a difference in the first megabyte ends the run at once.
dirty=$data/dirty-${gib}g.img
cp --reflink=auto "$image" "$dirty" 2>/dev/null || cp "$image" "$dirty"
printf '\x5a' | dd of="$dirty" bs=1 seek=4096 conv=notrunc status=none
warm
start=$(date +%s.%N)
"$vigil" wipe verify "$dirty" --expect zero --full --fail-fast --quiet > /dev/null && status=0 || status=$?
end=$(date +%s.%N)
rm -f "$dirty"
python3 -c "import sys; print(f'--fail-fast on a difference at offset 4096: exit {sys.argv[3]} after {float(sys.argv[2]) - float(sys.argv[1]):.3f} s')" "$start" "$end" "$status"
