"""PyTorch reference for `annealab bench`: the same networks, batch and steps, side by side.

Prints one JSON line per model, in the shape of Annealab's bench lines, with
"backend": "pytorch". Run by `annealab bench` when a python3 with torch is found
(Debian: apt-get install python3-torch); by hand:

    /usr/bin/python3 bench/pytorch_reference.py --models mlp,lenet5,convnet --batch 64
    python3 bench/pytorch_reference.py --models alexnet,vgg16,resnet18 --input 32x32x3 --device cuda

The networks are Annealab's (src/main/trainer/models): the thesis's reduced AlexNet, VGG and
the CIFAR ResNets of kuangliu/pytorch-cifar. --device auto (the default) uses CUDA when
torch.cuda.is_available(); every timed step ends with .item(), which waits for the GPU.
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
    def __init__(self, shape=(1, 28, 28)):
        super().__init__()
        self.fc1 = nn.Linear(shape[0] * shape[1] * shape[2], 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


class LeNet5(nn.Module):
    def __init__(self, shape=(1, 28, 28)):
        super().__init__()
        self.conv1 = nn.Conv2d(shape[0], 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.LazyLinear(120)  # 256 on 28x28
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))


class ConvNet(nn.Module):
    """The thesis's LeNet-like net: 3,199,106 parameters on 28x28x1."""

    def __init__(self, shape=(1, 28, 28)):
        super().__init__()
        self.conv1 = nn.Conv2d(shape[0], 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(64 * (shape[1] // 4) * (shape[2] // 4), 1000)
        self.fc2 = nn.Linear(1000, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def pool_if_fits(x):
    """A 2x2 max-pool, or nothing when the map is smaller than its window (as Annealab's)."""
    return F.max_pool2d(x, 2) if x.shape[-1] >= 2 and x.shape[-2] >= 2 else x


class AlexNetReduced(nn.Module):
    """The thesis's reduced AlexNet: 2,472,266 parameters on 32x32x3."""

    def __init__(self, shape=(3, 32, 32)):
        super().__init__()
        self.c = nn.ModuleList(
            [
                nn.Conv2d(shape[0], 64, 11, stride=4, padding=5),
                nn.Conv2d(64, 192, 5, padding=2),
                nn.Conv2d(192, 384, 3, padding=1),
                nn.Conv2d(384, 256, 3, padding=1),
                nn.Conv2d(256, 256, 3, padding=1),
            ]
        )
        self.classifier = nn.LazyLinear(10)

    def forward(self, x):
        x = pool_if_fits(F.relu(self.c[0](x)))
        x = pool_if_fits(F.relu(self.c[1](x)))
        x = F.relu(self.c[2](x))
        x = F.relu(self.c[3](x))
        x = pool_if_fits(F.relu(self.c[4](x)))
        return self.classifier(x.flatten(1))


VGG_CONFIGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    def __init__(self, name, shape=(3, 32, 32)):
        super().__init__()
        self.config = VGG_CONFIGS[name]
        convs, channels = [], shape[0]
        for layer in self.config:
            if layer != "M":
                convs.append(nn.Conv2d(channels, layer, 3, padding=1))
                channels = layer
        self.convs = nn.ModuleList(convs)
        self.classifier = nn.LazyLinear(10)

    def forward(self, x):
        convs = iter(self.convs)
        for layer in self.config:
            x = pool_if_fits(x) if layer == "M" else F.relu(next(convs)(x))
        return self.classifier(x.flatten(1))


class BasicBlock(nn.Module):
    def __init__(self, inp, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or inp != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet(nn.Module):
    """kuangliu/pytorch-cifar's ResNet, pooled globally (as Annealab's)."""

    def __init__(self, blocks, shape=(3, 32, 32)):
        super().__init__()
        self.conv1 = nn.Conv2d(shape[0], 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, inp = [], 64
        for stage, (planes, count) in enumerate(zip([64, 128, 256, 512], blocks)):
            for b in range(count):
                layers.append(BasicBlock(inp, planes, 2 if stage > 0 and b == 0 else 1))
                inp = planes
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(512, 10)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


MODELS = {
    "mlp": MLP,
    "lenet5": LeNet5,
    "convnet": ConvNet,
    "alexnet": AlexNetReduced,
    "vgg11": lambda shape: VGG("vgg11", shape),
    "vgg16": lambda shape: VGG("vgg16", shape),
    "vgg19": lambda shape: VGG("vgg19", shape),
    "resnet18": lambda shape: ResNet([2, 2, 2, 2], shape),
    "resnet34": lambda shape: ResNet([3, 4, 6, 3], shape),
}


def parse_input(text):
    h, w, c = (int(v) for v in text.lower().replace("×", "x").split("x"))
    return c, h, w


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
    p.add_argument("--input", default="28x28x1", help="height x width x channels, e.g. 32x32x3")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    a = p.parse_args()
    device = torch.device("cuda" if a.device == "cuda" or (a.device == "auto" and torch.cuda.is_available()) else "cpu")
    shape = parse_input(a.input)
    torch.manual_seed(1)
    for name in a.models.split(","):
        x = torch.randn(a.batch, *shape, device=device)
        y = torch.arange(a.batch, device=device) % 10
        net = MODELS[name](shape).to(device)
        net(x[:1])  # materialises the lazy classifiers before the optimizer sees the parameters
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
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
        if device.type == "cuda":
            where = f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda}), torch {torch.__version__}"
        else:
            where = f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}"
        print(
            json.dumps(
                {
                    "type": "bench",
                    "model": name,
                    "backend": "pytorch",
                    "device": where,
                    "batchSize": a.batch,
                    "input": a.input,
                    "trainImagesPerSec": a.batch / trn,
                    "forwardImagesPerSec": a.batch / fwd,
                    # Peak of this whole process: every model so far, as for one Annealab worker per model.
                    "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    **(
                        {"peakGpuMb": torch.cuda.max_memory_allocated(device) / 2**20}
                        if device.type == "cuda"
                        else {}
                    ),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
