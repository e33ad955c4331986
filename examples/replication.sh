#!/usr/bin/env bash
# Regenerates docs/replication/: runs the six thesis-chapter specs in examples/ (about an hour and
# a half on a 2-core machine without a GPU), then exports every table and figure
# docs/replication.md shows.
#   bash examples/replication.sh            # run, then export
#   bash examples/replication.sh export     # export only, from the runs already in the data dir
# Results go to their own data dir so that the experiment names cannot clash with yours.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${REPLICATION_DATA_DIR:-$PWD/replication-data}"
out=docs/replication
annealab() { node bin/annealab.mjs "$@" --data-dir "$data"; }
specs=(ch2-restarts-mnist-lenet5 ch4-sgd-sa-mnist-lenet5 ch4-sgd-sa-fashion-mnist-lenet5
  ch3-ssa-mnist-lenet5 ch3-ssa-mnist-convnet ch4-sgd-sa-fashion-mnist-lenet5-b512)

if [[ "${1:-run}" == run ]]; then
  # One queue for all six: their runs share the cores, none idles at the tail of a spec.
  paths=()
  for s in "${specs[@]}"; do paths+=("examples/$s.json"); done
  annealab run "${paths[@]}"
fi

mkdir -p "$out"
# Tables: each method tested against the chapter's baseline, seed by seed (paired t-test): a
# seed gives every method the same initial weights and data order.
declare -A baseline=(
  [ch2-restarts-mnist-lenet5]='SGD with momentum (eta = 0.01, beta = 0.9)'
  [ch3-ssa-mnist-lenet5]='SGD (eta = 0.001)' [ch3-ssa-mnist-convnet]='SGD (eta = 0.001)'
  [ch4-sgd-sa-mnist-lenet5]='SGD (eta = 0.1)' [ch4-sgd-sa-fashion-mnist-lenet5]='SGD (eta = 0.1)'
  [ch4-sgd-sa-fashion-mnist-lenet5-b512]='SGD (eta = 0.1)')
for s in "${specs[@]}"; do
  for f in markdown latex csv; do
    ext=$f; [[ $f == markdown ]] && ext=md; [[ $f == latex ]] && ext=tex
    extra=(); [[ $f == csv ]] && extra=(--per-seed)
    annealab export "$s" --format "$f" --baseline "${baseline[$s]}" --test paired "${extra[@]}" \
      --out "$out/$s.$ext"
  done
done
# Figures of the kinds the thesis draws for each chapter.
fig() { annealab figure "$1" --kind "$2" --format svg --out "$out/$1.$2.svg"; }
fig ch2-restarts-mnist-lenet5 train-loss-restarts
fig ch2-restarts-mnist-lenet5 val-accuracy
for s in ch3-ssa-mnist-lenet5 ch3-ssa-mnist-convnet; do
  for k in train-vs-val-accuracy train-vs-val-loss acceptance moves; do fig "$s" "$k"; done
done
for s in ch4-sgd-sa-mnist-lenet5 ch4-sgd-sa-fashion-mnist-lenet5 ch4-sgd-sa-fashion-mnist-lenet5-b512; do
  for k in val-accuracy val-loss train-vs-val-accuracy acceptance moves; do fig "$s" "$k"; done
done
echo "tables and figures in $out/"
