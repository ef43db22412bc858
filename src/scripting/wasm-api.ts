// The few WebAssembly types the Lua VM needs. The project's TypeScript libs (ES2023, no DOM)
// do not declare the WebAssembly global that Node provides, so it is typed here.

export interface WasmModule {
  readonly kind: 'module';
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export interface WasmGlobal {
  value: number;
}

interface WasmApi {
  Module: { new (bytes: Uint8Array): WasmModule; imports(m: WasmModule): { module: string; name: string }[] };
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}

export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
