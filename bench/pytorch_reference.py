"""PyTorch reference for `annealab bench`: the same networks, batch and steps, side by side.

Prints one JSON line per model, in the shape of Annealab's bench lines, with
"backend": "pytorch". Run by `annealab bench` when a python3 with torch is found
(Debian: apt-get install python3-torch); by hand:

    /usr/bin/python3 bench/pytorch_reference.py --models mlp,lenet5,convnet --batch 64
    /usr/bin/python3 bench/pytorch_reference.py --input 32x32x3 --models alexnet,vgg16,resnet18
    /usr/bin/python3 bench/pytorch_reference.py --input 32x32x3 --models vgg16 --check-params
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


# The thesis's networks (its code: github.com/strmet/thesis, src/*.py), as Annealab defines them
# for 32x32x3 inputs (src/main/trainer/models/): the same layers and the same parameter counts as
# `annealab models show ID --input 32x32x3` (checked by --check-params).


class AlexNetReduced(nn.Module):
    """thesis src/alexnet.py AlexNetReduced: 2,472,266 parameters on 32x32x3, 10 classes."""

    def __init__(self, c=3, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(c, 64, 11, stride=4, padding=5), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
        )
        self.classifier = nn.Linear(256, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


VGG_CFG = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """thesis src/vgg.py: 3x3 convs with ReLU (optionally batch-norm), 2x2 pools, one linear layer."""

    def __init__(self, name, bn=False, c=3, classes=10):
        super().__init__()
        layers = []
        for v in VGG_CFG[name]:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers.append(nn.Conv2d(c, v, 3, padding=1))
                if bn:
                    layers.append(nn.BatchNorm2d(v))
                layers.append(nn.ReLU(inplace=True))
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(512, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class BasicBlock(nn.Module):
    """thesis src/resnet.py BasicBlock (kuangliu/pytorch-cifar)."""

    def __init__(self, cin, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out)) + self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    """thesis src/resnet.py ResNet: 3x3 stem, four stages, global average pool, one linear layer."""

    def __init__(self, blocks, c=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, cin = [], 64
        for planes, n, stride in zip((64, 128, 256, 512), blocks, (1, 2, 2, 2)):
            for s in [stride] + [1] * (n - 1):
                layers.append(BasicBlock(cin, planes, s))
                cin = planes
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(512, classes)

    def forward(self, x):
        out = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


class InvertedResidual(nn.Module):
    """thesis src/mobilenet.py Block: 1x1 expand, 3x3 depthwise, 1x1 project, batch-norm each."""

    def __init__(self, cin, cout, expansion, stride):
        super().__init__()
        self.stride = stride
        planes = expansion * cin
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, groups=planes, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride == 1 and cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return out + self.shortcut(x) if self.stride == 1 else out


class MobileNetV2(nn.Module):
    """thesis src/mobilenet.py MobileNetV2 (CIFAR strides)."""

    CFG = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
           (6, 320, 1, 1)]

    def __init__(self, c=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        layers, cin = [], 32
        for expansion, cout, n, stride in self.CFG:
            for s in [stride] + [1] * (n - 1):
                layers.append(InvertedResidual(cin, cout, expansion, s))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.conv2 = nn.Conv2d(320, 1280, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(1280)
        self.linear = nn.Linear(1280, classes)

    def forward(self, x):
        out = self.layers(F.relu(self.bn1(self.conv1(x))))
        out = F.relu(self.bn2(self.conv2(out)))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


class Fire(nn.Module):
    def __init__(self, cin, squeeze, e1, e3):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, e1, 1)
        self.expand3x3 = nn.Conv2d(squeeze, e3, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1x1(x)), F.relu(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    """torchvision squeezenet1_0 (thesis src/squeezenet.py), global average pool at the end."""

    def __init__(self, c=3, classes=10):
        super().__init__()
        pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
        self.features = nn.Sequential(
            nn.Conv2d(c, 96, 7, stride=2), nn.ReLU(inplace=True), pool(),
            Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
            Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
            Fire(384, 64, 256, 256), pool(), Fire(512, 64, 256, 256),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(512, classes, 1), nn.ReLU(inplace=True))

    def forward(self, x):
        return F.adaptive_avg_pool2d(self.classifier(self.features(x)), 1).flatten(1)


MODELS = {
    "mlp": MLP,
    "lenet5": LeNet5,
    "convnet": ConvNet,
    "alexnet": AlexNetReduced,
    "vgg11": lambda: VGG("vgg11"),
    "vgg11-bn": lambda: VGG("vgg11", bn=True),
    "vgg16": lambda: VGG("vgg16"),
    "vgg16-bn": lambda: VGG("vgg16", bn=True),
    "vgg19": lambda: VGG("vgg19"),
    "vgg19-bn": lambda: VGG("vgg19", bn=True),
    "resnet18": lambda: ResNet([2, 2, 2, 2]),
    "resnet34": lambda: ResNet([3, 4, 6, 3]),
    "mobilenetv2": MobileNetV2,
    "squeezenet": SqueezeNet,
}
# The networks defined for 28x28x1 only (their first layers take one channel).
GRAYSCALE_ONLY = {"mlp", "lenet5", "convnet"}



# Wall time, or with --cpu-time this process's CPU time (1 thread: the time its work took, on a
# machine shared with other work; compare with bench/profile-step.ts's CPU-time figures).
clock = time.perf_counter


def time_per_call(step, repeats, min_seconds):
    step()
    calls = 1
    while True:
        t0 = clock()
        for _ in range(calls):
            step()
        if clock() - t0 >= min_seconds or calls >= 4096:
            break
        calls *= 2
    samples = []
    for _ in range(repeats):
        t0 = clock()
        for _ in range(calls):
            step()
        samples.append((clock() - t0) / calls)
    return statistics.median(samples)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="mlp,lenet5,convnet")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--min-seconds", type=float, default=0.5)
    p.add_argument("--input", default="28x28x1", help="HxWxC, as annealab bench --input")
    p.add_argument("--check-params", action="store_true", help="print parameter counts, time nothing")
    p.add_argument("--cpu-time", action="store_true", help="time by this process's CPU time")
    p.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="auto: CUDA when torch.cuda.is_available(); each timed step ends with .item(), which waits for the GPU",
    )
    a = p.parse_args()
    device = torch.device(
        "cuda" if a.device == "cuda" or (a.device == "auto" and torch.cuda.is_available()) else "cpu"
    )
    global clock
    if a.cpu_time:
        clock = time.process_time
    h, w, c = (int(v) for v in a.input.split("x"))
    torch.manual_seed(1)
    for name in a.models.split(","):
        if name not in MODELS:
            p.error(f"no PyTorch reference for {name!r} (have: {', '.join(MODELS)})")
        if name in GRAYSCALE_ONLY and (h, w, c) != (28, 28, 1):
            p.error(f"the {name} reference is defined for 28x28x1 only, not {a.input}")
        net = MODELS[name]()
        if name not in GRAYSCALE_ONLY and c != 3:
            p.error(f"the {name} reference takes 3 channels, not {c}")
        if a.check_params:
            print(name, sum(t.numel() for t in net.parameters()), flush=True)
            continue
        # Training mode throughout (nn.Module's default), as Annealab's bench: batch-norm
        # normalises with the batch's statistics and dropout drops, in forward passes too.
        net.train()
        net.to(device)
        x = torch.randn(a.batch, c, h, w, device=device)
        y = torch.arange(a.batch, device=device) % 10
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
        where = (
            f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda}), torch {torch.__version__}"
            if device.type == "cuda"
            else f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}"
        )
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
