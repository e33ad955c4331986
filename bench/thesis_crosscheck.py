"""The thesis's own SSA and SGD-SA (strmet/thesis, src/utils.py) driven epoch by epoch on data
exported by bench/export-data.ts, for bench/thesis-crosscheck.ts to set beside Annealab's.
Prints one JSON line per epoch. Not a test; needs numpy and torch (/usr/bin/python3).

    /usr/bin/python3 bench/thesis_crosscheck.py --thesis CHECKOUT --data DIR --method ssa|sgd-sa
        [--seeds 1,2,3] [--epochs 10] [--batch 64] [--epsilon 0.01] [--temperature 1]
        [--cooling 0.97] [--accepted-bound 0.6] [--lr-set H2]

Their file is imported as it is, never edited. What it needs that a CPU-only Python 3.11 lacks is
supplied around it: a stub `torchvision` (utils.py imports it at the top but only load_dataset
uses it), Tensor.cuda as the identity (SGD_SA moves its minibatch with .cuda() unconditionally),
time.clock (gone since 3.8; only their train_* loops call it). The epoch loop is ours and does
what their train_ssa / train_SGD_SA do between epochs: T <- max(alpha*T, 1e-10); for SSA,
eps <- eps/10 when the ratio of better moves is below the bound. Validation after each epoch is
Annealab's (mean CE over all test examples, accuracy), so the two tools' figures compare.

The network is NOT their src/lenet5.py, which is built for 32x32 input (fc1 takes 16*5*5); it is
LeNet-5 for 28x28 exactly as Annealab's lenet5 and bench/sgd_parity.py define it (fc1 takes
16*4*4), with PyTorch's default initialisation.
"""
import argparse
import contextlib
import importlib
import io
import json
import math
import os
import random
import sys
import time
import types

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sgd_parity import LeNet5, evaluate, load_split  # noqa: E402


def import_thesis_utils(checkout):
    utils_path = os.path.join(checkout, "src", "utils.py")
    if not os.path.isfile(utils_path):
        raise SystemExit(f"--thesis {checkout}: no src/utils.py there; point it at a checkout of strmet/thesis")
    if "torchvision" not in sys.modules:
        try:
            importlib.import_module("torchvision")
        except ImportError:
            tv = types.ModuleType("torchvision")
            tv.transforms = types.ModuleType("torchvision.transforms")
            tv.datasets = types.ModuleType("torchvision.datasets")
            sys.modules.update({"torchvision": tv, "torchvision.transforms": tv.transforms, "torchvision.datasets": tv.datasets})
    if not hasattr(time, "clock"):
        time.clock = time.perf_counter
    # There is no GPU here: .cuda() leaves a tensor where it is.
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
    sys.path.insert(0, checkout)
    return importlib.import_module("src.utils")


def run(args, utils, seed, train, test):
    random.seed(seed)  # their `rm`: acceptance draws and SGD-SA's rate draws
    torch.manual_seed(seed)  # initialisation, the DataLoader's shuffle, SSA's moves
    model = LeNet5()
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(*train), batch_size=args.batch, shuffle=True, drop_last=False
    )
    T, eps = args.temperature, args.epsilon
    # SGD_SA needs an optimizer only for zero_grad, and args only for lr_set: their "set1" is
    # the thesis's H1, anything else H2.
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    sa_args = types.SimpleNamespace(lr_set="set1" if args.lr_set == "H1" else "set2")
    criterion = torch.nn.CrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        # SGD_SA prints every minibatch's rate; keep our stdout JSON only.
        with contextlib.redirect_stdout(io.StringIO()):
            if args.method == "ssa":
                rejected, accepted, probs = utils.stochastic_simulated_annealing(loader, model, eps, T, gpu=False)
            else:
                rejected, accepted, probs = utils.SGD_SA(loader, model, optimizer, criterion, sa_args, T)
        steps = len(loader)
        better = steps - (accepted + rejected)
        vl, va = evaluate(model, test[0], test[1], args.batch)
        dropped = None
        if args.method == "ssa":
            dropped = better / steps < args.accepted_bound
        record = {
            "side": "thesis",
            "method": args.method,
            "seed": seed,
            "epoch": epoch,
            "val": {"loss": vl, "accuracy": va},
            "moves": {"better": better, "acceptedWorse": accepted, "rejectedWorse": rejected},
            "acceptance": {"count": len(probs), "mean": sum(probs) / len(probs) if probs else None},
            "temperature": T,
            "epsilon": eps if args.method == "ssa" else None,
            "epsilonDropped": dropped,
            "seconds": time.perf_counter() - started,
        }
        print(json.dumps(record), flush=True)
        T = max(args.cooling * T, 1e-10)
        if dropped:
            eps /= 10
        if not math.isfinite(vl):
            raise SystemExit(f"seed {seed}, epoch {epoch}: the validation loss is {vl}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--thesis", required=True, help="a checkout of strmet/thesis")
    ap.add_argument("--data", required=True, help="a folder written by bench/export-data.ts")
    ap.add_argument("--method", required=True, choices=["ssa", "sgd-sa"])
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epsilon", type=float, default=0.01)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--cooling", type=float, default=None, help="default: 0.97 for ssa, 0.93 for sgd-sa")
    ap.add_argument("--accepted-bound", type=float, default=0.6)
    ap.add_argument("--lr-set", default="H2", choices=["H1", "H2"])
    args = ap.parse_args()
    if args.cooling is None:
        args.cooling = 0.97 if args.method == "ssa" else 0.93
    torch.set_num_threads(1)
    utils = import_thesis_utils(os.path.abspath(args.thesis))
    train, test = load_split(args.data, "train"), load_split(args.data, "test")
    for seed in (int(s) for s in args.seeds.split(",")):
        run(args, utils, seed, train, test)


if __name__ == "__main__":
    main()
