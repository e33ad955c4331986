"""PyTorch reference for `annealab bench`: the same networks, batch and steps, side by side.

Prints one JSON line per model, in the shape of Annealab's bench lines, with
"backend": "pytorch". Run by `annealab bench` when a python3 with torch is found
(Debian: apt-get install python3-torch); by hand:

    /usr/bin/python3 bench/pytorch_reference.py --models mlp,lenet5,convnet --batch 64
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(256, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))


class ConvNet(nn.Module):
    """The thesis's LeNet-like net: 3,199,106 parameters on 28x28x1."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(3136, 1000)
        self.fc2 = nn.Linear(1000, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


MODELS = {"mlp": MLP, "lenet5": LeNet5, "convnet": ConvNet}


def time_per_call(step, repeats, min_seconds):
    step()
    calls = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            step()
        if time.perf_counter() - t0 >= min_seconds or calls >= 4096:
            break
        calls *= 2
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            step()
        samples.append((time.perf_counter() - t0) / calls)
    return statistics.median(samples)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="mlp,lenet5,convnet")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--min-seconds", type=float, default=0.5)
    a = p.parse_args()
    torch.manual_seed(1)
    for name in a.models.split(","):
        net = MODELS[name]()
        x = torch.randn(a.batch, 1, 28, 28)
        y = torch.arange(a.batch) % 10
        opt = torch.optim.SGD(net.parameters(), lr=0.01)

        def forward():
            with torch.no_grad():
                F.cross_entropy(net(x), y).item()

        def train():
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            loss.item()

        fwd = time_per_call(forward, a.repeats, a.min_seconds)
        trn = time_per_call(train, a.repeats, a.min_seconds)
        print(
            json.dumps(
                {
                    "type": "bench",
                    "model": name,
                    "backend": "pytorch",
                    "device": f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}",
                    "batchSize": a.batch,
                    "trainImagesPerSec": a.batch / trn,
                    "forwardImagesPerSec": a.batch / fwd,
                    # Peak of this whole process: every model so far, as for one Annealab worker per model.
                    "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
