"""PyTorch side of bench/sgd-parity.ts: plain SGD on LeNet-5 over data exported by
bench/export-data.ts. Prints one JSON line per seed. Not a test; needs numpy and torch
(Debian's python3-torch: /usr/bin/python3).

    /usr/bin/python3 bench/sgd_parity.py --data DIR --seeds 1,2,3 [--epochs 10] [--batch 64] [--lr 0.1]
    /usr/bin/python3 bench/sgd_parity.py --data DIR --seeds 1 --identical [--trace-steps 1,10,100]

Default: PyTorch's own initialisation (nn.Conv2d / nn.Linear reset_parameters) after
torch.manual_seed(seed), and a DataLoader with shuffle=True and drop_last=False, as the thesis's
code trains. --identical instead loads Annealab's initial weights for the seed and its per-epoch
order (DIR/seed-S/init, DIR/seed-S/order.npy, written by export-data.ts --seeds), so that what
differs is only the arithmetic of the two implementations. --jitter R multiplies those weights
by (1 + R*U(-1, 1)) (numpy, seeded): with R ~ 1e-7, float32 rounding-sized noise, it measures
how fast this training amplifies a difference that small on its own.
"""
import argparse
import json
import os
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    """Annealab's lenet5 on 28x28x1: 16*4*4 = 256 features into fc1, 44,426 parameters."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(256, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))


def load_split(data, name):
    x = np.load(os.path.join(data, f"{name}_x.npy"))  # NHWC float32
    y = np.load(os.path.join(data, f"{name}_y.npy")).astype(np.int64)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), torch.from_numpy(y)


def load_annealab_init(model, folder, jitter=0.0):
    """Annealab's layouts into PyTorch's: conv [kh,kw,cin,out] -> [out,cin,kh,kw], dense
    [in,out] -> [out,in]; fc1's inputs are flattened NHWC there (h, w, c) and NCHW here
    (c, h, w), so its columns are permuted as well."""
    state = {}
    for name, p in model.named_parameters():
        w = np.load(os.path.join(folder, f"{name}.npy"))
        if w.ndim == 4:
            w = w.transpose(3, 2, 0, 1)
        elif w.ndim == 2:
            w = w.T
            if name == "fc1.weight":
                out, feats = w.shape
                c = model.conv2.out_channels
                side = int(round((feats // c) ** 0.5))
                # column (h*side + w)*c + ch there is column ch*side*side + h*side + w here
                w = w.reshape(out, side, side, c).transpose(0, 3, 1, 2).reshape(out, feats)
        if tuple(w.shape) != tuple(p.shape):
            raise ValueError(f"{folder}/{name}.npy has shape {w.shape} after conversion; {name} is {tuple(p.shape)}")
        if jitter:
            rng = np.random.default_rng(zlib.crc32(name.encode()))  # str hash() varies per process
            w = (w * (1 + jitter * rng.uniform(-1, 1, w.shape))).astype(np.float32)
        state[name] = torch.from_numpy(np.ascontiguousarray(w))
    model.load_state_dict(state)


def evaluate(model, x, y, batch):
    """Annealab's validation: contiguous minibatches, eval mode, loss = mean CE over all examples."""
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(y), batch):
            out = model(x[s : s + batch])
            loss += F.cross_entropy(out, y[s : s + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[s : s + batch]).sum().item()
    model.train()
    return loss / len(y), correct / len(y)


def run(args, seed, train, test):
    torch.manual_seed(seed)
    model = LeNet5()
    epochs_order = None
    if args.identical:
        folder = os.path.join(args.data, f"seed-{seed}")
        load_annealab_init(model, os.path.join(folder, "init"), args.jitter)
        epochs_order = torch.from_numpy(np.load(os.path.join(folder, "order.npy")).astype(np.int64))
        if epochs_order.shape[0] < args.epochs:
            raise ValueError(f"{folder}/order.npy holds {epochs_order.shape[0]} epochs; asked for {args.epochs}")
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0)
    x, y = train
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=args.batch, shuffle=True, drop_last=False
    )
    trace_at = {int(s) for s in args.trace_steps.split(",")} if args.trace_steps else set()
    trace, epochs, step = {}, [], 0
    model.train()
    for e in range(args.epochs):
        if epochs_order is not None:
            order = epochs_order[e]
            batches = ((x[order[s : s + args.batch]], y[order[s : s + args.batch]]) for s in range(0, len(y), args.batch))
        else:
            batches = iter(loader)
        for bx, by in batches:
            opt.zero_grad()
            loss = F.cross_entropy(model(bx), by)
            loss.backward()
            opt.step()
            step += 1
            if step in trace_at:
                # the minibatch's loss at the weights the step started from
                trace[step] = loss.item()
        vl, va = evaluate(model, test[0], test[1], args.batch)
        epochs.append({"epoch": e + 1, "loss": vl, "accuracy": va})
    return {"side": "pytorch", "seed": seed, "identical": args.identical, "jitter": args.jitter, "epochs": epochs, "trace": trace}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--seeds", default="1,2,3,4,5,6,7,8")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--identical", action="store_true")
    ap.add_argument("--trace-steps", default="")
    ap.add_argument("--jitter", type=float, default=0.0)
    args = ap.parse_args()
    if args.jitter and not args.identical:
        ap.error("--jitter perturbs the loaded Annealab weights: use it with --identical")
    torch.set_num_threads(1)
    train, test = load_split(args.data, "train"), load_split(args.data, "test")
    for seed in (int(s) for s in args.seeds.split(",")):
        print(json.dumps(run(args, seed, train, test)), flush=True)


if __name__ == "__main__":
    main()
