#!/usr/bin/env bash
# How often and how fast each search move reaches the constructed optimum of the hard cases (bench/optima/README.md).
# usage: bench/optima/moves.sh DPS_DLL [SEEDS] [CASES]
# One line per (case, variant, seed) from run.sh; the label names the variant. Every variant starts from one random
# start (agents.init random, training.restarts 1), the starts the modes start does not solve by construction, so the
# lines show what the move itself does; "auto4" is the defaults' four starts with no move.
set -euo pipefail
dll=$1; seeds=${2:-"0 1 2 3 4"}; cases=${3:-"twelve-uneven-n12 sixteen-peaks-n16 unequal-n6"}
here=$(cd "$(dirname "$0")" && pwd)
one=(--set agents.init=random --set training.restarts=1 --set training.reseed=0 --set training.split=0 --set training.hops=0)
for c in $cases; do
  "$here/run.sh" "$dll" none     "$c" "$seeds" "${one[@]}"
  "$here/run.sh" "$dll" reseed20 "$c" "$seeds" "${one[@]}" --set training.reseed=20
  "$here/run.sh" "$dll" split20  "$c" "$seeds" "${one[@]}" --set training.split=20
  "$here/run.sh" "$dll" both     "$c" "$seeds" "${one[@]}" --set training.reseed=20 --set training.split=20
  "$here/run.sh" "$dll" auto4    "$c" "$seeds" --set training.reseed=0 --set training.split=0 --set training.hops=0
done
