// Identity (tf.clone) on the wasm backend as a second reference to the same heap buffer, as the
// cpu backend does, instead of wasm 4.22's copy. tfjs saves every tensor a gradient needs as a
// clone (engine.saveTensorsForBackwardMode, customGrad's save), so on wasm each saved activation
// was a full copy: ResNet18 (batch 64) held 644 MB of copies at the start of its backward pass
// while the originals were still alive until the forward pass's scope ended, and the same
// activation saved by two nodes (a convolution's output and the batch-norm reading it, a ReLU's
// output and the two convolutions after it) was copied once per node.
//
// Sharing is safe for the same reason it is on cpu and for wasm's own Reshape: no kernel writes
// into its inputs (outputs are always new buffers; Variable.assign swaps the buffer, it does not
// write into it), and the backend frees a buffer when its last reference goes.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export function sharedIdentity(args: { inputs: { x?: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const x = args.inputs.x!;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
