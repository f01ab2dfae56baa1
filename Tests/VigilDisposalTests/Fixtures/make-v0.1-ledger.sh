#!/usr/bin/env bash
# Writes Tests/VigilDisposalTests/Fixtures/ledger-v0.1/: a ledger made by Vigil 0.1.0 (commit
# 93291da, before people and roles), for the migration test: two certificates of sanitization,
# the asset LAP-1 recorded in 0.1's `assets` table (outside the chain) and not released, and
# LAP-2 released by a second signer. Private keys are not kept.
#
#   bash make-v0.1-ledger.sh [PATH-TO-A-0.1-vigil]     (default: builds 93291da in a worktree)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
old="${1:-}"
if [ -z "$old" ]; then
    tree="$(mktemp -d)/vigil-0.1"
    git -C "$here" worktree add --detach "$tree" 93291da >/dev/null
    (cd "$tree" && swift build --product vigil >/dev/null)
    old="$tree/.build/debug/vigil"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$old" keys init --dir sam --organisation "Example Ltd" --signer "Sam Okafor" >/dev/null
"$old" keys init --dir ann --organisation "Example Ltd" --signer "Ann Lee" >/dev/null
truncate -s 1M disk1.img disk2.img
for n in 1 2; do
    "$old" wipe verify "disk$n.img" --expect zero --full --out "c$n.json" --asset "LAP-$n" --technician "Sam Okafor" \
        --method "1 pass of zeros" --tool "nwipe 0.33" --key sam/signer.key --cert sam/signer.pem \
        --store ledger.sqlite --quiet >/dev/null 2>&1
done
"$old" ledger asset LAP-1 --description "ThinkPad T14" --owner "R. Patel" --drive "$work/disk1.img" --store ledger.sqlite >/dev/null
"$old" signoff LAP-2 --approver "Ann Lee" --key ann/signer.key --cert ann/signer.pem --store ledger.sqlite >/dev/null
sqlite3 ledger.sqlite "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;" >/dev/null
out="$here/ledger-v0.1"
rm -rf "$out" && mkdir -p "$out"
cp ledger.sqlite "$out/ledger.sqlite"
cp sam/ca.pem "$out/sam-ca.pem"
cp ann/ca.pem "$out/ann-ca.pem"
echo "wrote $out"
