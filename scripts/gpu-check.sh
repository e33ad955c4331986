#!/usr/bin/env bash
# The device check of the webgpu backend, for a machine with an NVIDIA GPU and no network.
#
#   scripts/gpu-check.sh pack [DIR]
#       Here, in a checkout: packs everything the check needs into DIR (default .gpu-check/,
#       under 64 MiB): node (xz), Dawn's dawn.node (xz), esbuild bundles of the bench driver,
#       the bench worker and the training driver (scripts/gpu-check/*.ts; every package bundled
#       in but dawn.node, which is native), tfjs's wasm files, bench/pytorch_reference.py, the
#       Vulkan loader libvulkan1 as a .deb (apt-get download), and this script.
#
#   DIR/gpu-check.sh run [--swiftshader] [--tiny]
#       There: unpacks into a temporary folder, points Vulkan at the NVIDIA driver's ICD (or, with
#       --swiftshader, at SwiftShader's: the check of everything up to the GPU itself on a machine
#       without one), then runs one short training run of each method on webgpu and
#       `annealab bench`'s measurements for lenet5, convnet (28x28x1) and alexnet, vgg16,
#       resnet18 (32x32x3) on webgpu and wasm, beside PyTorch on CUDA when python3 has torch.
#       --tiny: small networks and sizes (SwiftShader is Vulkan on the CPU: slow). Results go to
#       $OUT (default DIR/out): train.jsonl, train.log, bench-*.txt, bench.jsonl, environment.txt.
#       Sized to end within 8 minutes on an H200; each step has its own time limit.
set -euo pipefail

die() {
  echo "gpu-check: $*" >&2
  exit 2
}

usage() {
  sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

# Where Chromium packages put SwiftShader's ICD; else whatever dpkg knows (as webgpu-adapter.ts).
find_swiftshader_icd() {
  local p
  for p in /usr/lib/chromium/vk_swiftshader_icd.json /usr/lib/chromium-browser/vk_swiftshader_icd.json \
    /usr/lib64/chromium-browser/vk_swiftshader_icd.json /opt/google/chrome/vk_swiftshader_icd.json; do
    [[ -f $p ]] && { echo "$p"; return 0; }
  done
  if command -v dpkg >/dev/null; then
    p=$(dpkg -S vk_swiftshader_icd.json 2>/dev/null | sed -n 's/^[^:]*: //p' | head -n1)
    [[ -n $p && -f $p ]] && { echo "$p"; return 0; }
  fi
  return 1
}

# The NVIDIA driver's Vulkan ICD: the borrowed GPU machine mounts the driver under
# /usr/local/nvidia (library/device/README.md); a workstation has it in the loader's folders.
find_nvidia_icd() {
  local p
  for p in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
    /etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
    [[ -f $p ]] && { echo "$p"; return 0; }
  done
  return 1
}

pack() {
  local root dir lib banner size
  root=$(cd "$(dirname "$0")/.." && pwd)
  dir=${1:-$root/.gpu-check}
  [[ -d $root/node_modules/webgpu ]] || die "no node_modules/webgpu in $root: run npm install first"
  command -v xz >/dev/null || die "xz is needed to pack (apt-get install xz-utils)"
  rm -rf "$dir"
  lib=$dir/lib
  mkdir -p "$lib/node_modules/webgpu/dist/linux-x64" "$dir/deb"
  # ESM bundles that include CommonJS packages need require/__dirname (tfjs-backend-wasm finds
  # its .wasm files through __dirname: they are copied beside the bundles).
  banner="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; \
import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); \
const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
  local entry name
  for entry in scripts/gpu-check/bench.ts:bench scripts/gpu-check/train.ts:train src/main/bench/worker.ts:bench-worker; do
    name=${entry##*:}
    echo "bundling ${entry%%:*} → lib/$name.mjs" >&2
    (cd "$root" && nice -n 15 node_modules/.bin/esbuild "${entry%%:*}" --bundle --platform=node --format=esm \
      --target=node20 --external:webgpu --external:@tensorflow/tfjs-node-gpu --banner:js="$banner" \
      --log-level=warning --outfile="$lib/$name.mjs")
  done
  cp "$root"/node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$lib/"
  cp "$root"/node_modules/webgpu/{index.js,package.json} "$lib/node_modules/webgpu/"
  echo "compressing dawn.node and node (xz)…" >&2
  nice -n 15 xz -T0 -6 -c "$root/node_modules/webgpu/dist/linux-x64/dawn.node" >"$lib/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
  nice -n 15 xz -T0 -6 -c "$(command -v node)" >"$dir/node.xz"
  node --version >"$dir/node.version"
  cp "$root/bench/pytorch_reference.py" "$dir/"
  cp "$0" "$dir/gpu-check.sh"
  chmod +x "$dir/gpu-check.sh"
  # The Vulkan loader: the GPU machine may have the driver's ICD but no libvulkan.so.1.
  if ! (cd "$dir/deb" && apt-get download libvulkan1 >/dev/null 2>&1); then
    local cached
    cached=$(ls /var/cache/apt/archives/libvulkan1_*.deb 2>/dev/null | head -n1 || true)
    [[ -n $cached ]] || die "apt-get download libvulkan1 failed (no network to the package mirror?) and none is cached"
    cp "$cached" "$dir/deb/"
  fi
  size=$(du -sb "$dir" | cut -f1)
  echo "packed $dir: $((size / 1024 / 1024)) MiB" >&2
  ((size < 64 * 1024 * 1024)) || die "the pack is $((size / 1024 / 1024)) MiB, over the 64 MiB a device call carries"
}

run() {
  local swiftshader=0 tiny=0
  while (($#)); do
    case $1 in
      --swiftshader) swiftshader=1 ;;
      --tiny) tiny=1 ;;
      *) die "unknown option $1 (run takes --swiftshader and --tiny)" ;;
    esac
    shift
  done
  local dir out node icd python status=0
  dir=$(cd "$(dirname "$0")" && pwd)
  [[ -f $dir/node.xz && -d $dir/lib ]] || die "$dir is not a pack: make one with scripts/gpu-check.sh pack"
  out=${OUT:-$dir/out}
  mkdir -p "$out"
  # Global, not local: the EXIT trap runs after run() has returned.
  work=$(mktemp -d "${TMPDIR:-/tmp}/annealab-gpu-check.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  cp -r "$dir/lib" "$work/lib"
  xz -dc "$dir/lib/node_modules/webgpu/dist/linux-x64/dawn.node.xz" >"$work/lib/node_modules/webgpu/dist/linux-x64/dawn.node"
  rm "$work/lib/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
  node=$work/node
  xz -dc "$dir/node.xz" >"$node"
  chmod +x "$node"

  # The Vulkan loader: the system's, else the packed libvulkan1.
  if ! { ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; }; then
    local deb
    deb=$(ls "$dir"/deb/libvulkan1_*.deb | head -n1) || die "no libvulkan1 .deb in the pack"
    dpkg -x "$deb" "$work/vulkan"
    export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [[ -d $d ]] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  done
  if ((swiftshader)); then
    icd=$(find_swiftshader_icd) || die "--swiftshader: no vk_swiftshader_icd.json here (install chromium)"
    # Chromium's own loader sits beside it when the system has none.
    export LD_LIBRARY_PATH="$(dirname "$icd")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  else
    icd=$(find_nvidia_icd) || die "no NVIDIA Vulkan ICD (nvidia_icd.json) found: is the NVIDIA driver installed?"
  fi
  export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work/xdg}
  mkdir -p "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"

  python=""
  for p in python3 /usr/bin/python3; do
    if "$p" -c 'import torch' 2>/dev/null; then python=$p; break; fi
  done
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "node: $("$node" --version)  icd: $icd  LD_LIBRARY_PATH: ${LD_LIBRARY_PATH:-}"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    if [[ -n $python ]]; then
      "$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
    else
      echo "no python3 with torch: no PyTorch reference"
    fi
  } | tee "$out/environment.txt" >&2

  local torch_args=()
  [[ -n $python ]] && torch_args=(--python "$python" --pytorch-script "$dir/pytorch_reference.py")
  step() { # name, seconds, command…: one step's output to $out/name.*, its failure noted, the rest still run
    local name=$1 limit=$2
    shift 2
    echo "== $name (at most ${limit}s)" >&2
    if ! timeout "$limit" "$@" >"$out/$name.txt" 2>"$out/$name.log"; then
      echo "== $name FAILED (exit $?); the end of its log:" >&2
      tail -n 20 "$out/$name.log" >&2
      status=1
    fi
    grep -v '^{' "$out/$name.txt" >&2 || true
  }
  local lib=$work/lib
  if ((tiny)); then
    step train 300 "$node" "$lib/train.mjs" --backend webgpu --model mlp --input 8x8x1 --train 64 --test 32 --epochs 2 --batch 16
    step bench-mnist 400 "$node" "$lib/bench.mjs" --models mlp --backends webgpu,wasm --input 28x28x1 --batch 8 \
      --repeats 1 --min-seconds 0.05 --jsonl "$out/bench.jsonl" "${torch_args[@]}"
    step bench-cifar 400 "$node" "$lib/bench.mjs" --models lenet5 --backends webgpu --input 16x16x3 --batch 4 \
      --repeats 1 --min-seconds 0.05 --no-methods --jsonl "$out/bench.jsonl" "${torch_args[@]}"
  else
    step train 100 "$node" "$lib/train.mjs" --backend webgpu --model lenet5 --input 28x28x1 --train 4096 --test 1024 --epochs 2 --batch 64
    step bench-mnist 70 "$node" "$lib/bench.mjs" --models lenet5,convnet --backends webgpu,wasm --input 28x28x1 --batch 64 \
      --repeats 3 --min-seconds 0.25 --jsonl "$out/bench.jsonl" "${torch_args[@]}"
    step bench-cifar 100 "$node" "$lib/bench.mjs" --models alexnet,vgg16,resnet18 --backends webgpu --input 32x32x3 --batch 64,512 \
      --repeats 3 --min-seconds 0.5 --no-methods --jsonl "$out/bench.jsonl" "${torch_args[@]}"
    step bench-cifar-methods 60 "$node" "$lib/bench.mjs" --models vgg16 --backends webgpu --input 32x32x3 --batch 64 \
      --repeats 3 --min-seconds 0.25 --jsonl "$out/bench.jsonl"
    step bench-cifar-wasm 100 "$node" "$lib/bench.mjs" --models alexnet,vgg16,resnet18 --backends wasm --input 32x32x3 --batch 64 \
      --repeats 1 --min-seconds 0.1 --no-methods --jsonl "$out/bench.jsonl"
  fi
  echo "results in $out" >&2
  return $status
}

case ${1:-} in
  pack) shift; pack "$@" ;;
  run) shift; run "$@" ;;
  *) usage ;;
esac
