// WebAssembly's JavaScript API, typed: the node types this project compiles with (no DOM lib)
// declare the namespace without its classes. Only the parts used here; memories stay opaque.

interface ModuleDescriptor {
  module?: string;
  name: string;
  kind: string;
}

interface WebAssemblyApi {
  Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): ModuleDescriptor[];
    exports(module: object): ModuleDescriptor[];
  };
  Instance: new (module: object, imports: object) => { exports: object };
}

export const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
