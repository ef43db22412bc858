// Redis 7 functions: the libraries FUNCTION LOAD creates and FCALL calls, as Redis's functions.c.
// Libraries run in a Lua engine of their own (not EVAL's), made on first use and dropped by
// FUNCTION FLUSH; a library set is the unit RESTORE builds aside and then joins to the live one.

import * as E from '../errors.js';
import type { Server } from '../server/server.js';
import { FUNCTION_FLAG_NAMES, type LuaEngine, type LibraryLoadResult, type RegisteredFunction } from './lua-engine.js';
import { newScriptEngine, splitWords } from './scripts.js';
import { scriptInterrupt } from './script-run.js';

/** FUNCTION LOAD's time limit for running a library's body (Redis's LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;

export const FLAG_NO_WRITES = 1;
export const FLAG_ALLOW_OOM = 2;
export const FLAG_NO_CLUSTER = 8;
export const FLAG_ALLOW_CROSS_SLOT = 16;

export interface FunctionInfo extends RegisteredFunction {
  readonly library: Library;
}

export interface Library {
  readonly name: string;
  /** The whole code as loaded, shebang included (FUNCTION LIST WITHCODE, FUNCTION DUMP). */
  readonly code: string;
  /** By exact name, in registration order. */
  readonly functions: Map<string, FunctionInfo>;
}

/** Libraries by name, and their functions by name without case (FCALL f finds F), as Redis. */
export class LibrarySet {
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, FunctionInfo>();
  functionCount = 0;

  findFunction(name: string): FunctionInfo | undefined {
    return this.functions.get(name.toLowerCase());
  }

  link(lib: Library): void {
    for (const fn of lib.functions.values()) {
      const key = fn.name.toLowerCase();
      if (!this.functions.has(key)) this.functions.set(key, fn);
    }
    this.libraries.set(lib.name, lib);
    this.functionCount += lib.functions.size;
  }

  unlink(lib: Library): void {
    for (const fn of lib.functions.values()) {
      const key = fn.name.toLowerCase();
      if (this.functions.get(key) === fn) this.functions.delete(key);
    }
    this.libraries.delete(lib.name);
    this.functionCount -= lib.functions.size;
  }

  /** The first function of `lib` whose name another library of this set already has. */
  collision(lib: Library): FunctionInfo | undefined {
    for (const fn of lib.functions.values()) {
      if (this.functions.has(fn.name.toLowerCase())) return fn;
    }
    return undefined;
  }
}

interface LibraryMeta {
  readonly engine: string;
  readonly name: string;
  /** The code after the shebang line, from its newline on, so line numbers stay the file's. */
  readonly body: string;
}

function validName(s: string): boolean {
  return /^[a-zA-Z0-9_]+$/.test(s);
}

/** The `#!<engine> name=<lib>` first line, as Redis's functionExtractLibMetaData. */
function parseMeta(code: string): LibraryMeta | string {
  if (!code.startsWith('#!')) return E.FUNCTION_MISSING_METADATA;
  const end = code.indexOf('\n');
  if (end === -1) return E.FUNCTION_INVALID_METADATA;
  const parts = splitWords(code.slice(0, end));
  const first = parts?.[0];
  if (parts === null || first === undefined) return E.FUNCTION_INVALID_METADATA;
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) return E.FUNCTION_NAME_TWICE;
      name = part.slice(5);
      continue;
    }
    return E.functionMetadataValue(part);
  }
  if (name === null) return E.FUNCTION_NO_LIBRARY_NAME;
  return { engine: first.slice(2), name, body: code.slice(end) };
}

/** One server's functions: the live library set and the engine their code lives in. */
export class Functions {
  live = new LibrarySet();
  private engineInstance: LuaEngine | null = null;
  /** While a library body runs: when FUNCTION LOAD's time limit passes (performance.now()). */
  private loadDeadline = 0;

  constructor(readonly server: Server) {}

  get engine(): LuaEngine {
    if (this.engineInstance === null || this.engineInstance.broken) {
      // A VM failure loses every compiled function: the libraries go with it.
      if (this.engineInstance !== null) this.live = new LibrarySet();
      const server = this.server;
      const running = scriptInterrupt(server);
      // While a library body loads, only FUNCTION LOAD's own time limit applies.
      const interrupt = (canYield: boolean): boolean | 'yield' =>
        this.loadDeadline !== 0 ? performance.now() > this.loadDeadline : running(canYield);
      const engine = newScriptEngine(server, server.scripts.client, interrupt);
      engine.enableFunctions();
      this.engineInstance = engine;
    }
    return this.engineInstance;
  }

  /**
   * Creates the library `code` defines into `set` (FUNCTION LOAD, RESTORE), as Redis's
   * functionsCreateWithLibraryCtx; returns its name or an error reply.
   */
  /** Whether FCALL `name` runs a function flagged no-writes (Redis's fcallGetCommandFlags). */
  declaresNoWrites(name: string): boolean {
    const fn = this.live.findFunction(name);
    return fn !== undefined && (fn.flags & FLAG_NO_WRITES) !== 0;
  }

  create(code: string, replace: boolean, set: LibrarySet): { name: string } | { error: string } {
    const meta = parseMeta(code);
    if (typeof meta === 'string') return { error: meta };
    if (!validName(meta.name)) return { error: E.FUNCTION_LIBRARY_NAME };
    if (meta.engine.toLowerCase() !== 'lua') return { error: E.functionEngine(meta.engine) };
    const old = set.libraries.get(meta.name);
    if (old !== undefined && !replace) return { error: E.functionLibraryExists(meta.name) };
    if (old !== undefined) set.unlink(old);
    const engine = this.engine;
    this.loadDeadline = performance.now() + LOAD_TIMEOUT_MS;
    let r: LibraryLoadResult;
    try {
      r = engine.loadLibrary(meta.body);
    } finally {
      this.loadDeadline = 0;
    }
    let error: string | null = null;
    const lib: Library = { name: meta.name, code, functions: new Map() };
    if (!r.ok) {
      error = r.compile ? E.functionCompile(r.error) : E.functionRegister(r.error);
    } else {
      for (const f of r.functions) lib.functions.set(f.name, { ...f, library: lib });
      if (lib.functions.size === 0) error = E.FUNCTION_NONE_REGISTERED;
      else {
        const clash = set.collision(lib);
        if (clash !== undefined) error = E.functionExists(clash.name);
      }
    }
    if (error !== null) {
      this.release(lib);
      if (old !== undefined) set.link(old);
      return { error };
    }
    set.link(lib);
    if (old !== undefined) this.release(old);
    return { name: meta.name };
  }

  /** FUNCTION DELETE. */
  delete(name: string): boolean {
    const lib = this.live.libraries.get(name);
    if (lib === undefined) return false;
    this.live.unlink(lib);
    this.release(lib);
    return true;
  }

  /**
   * FUNCTION FLUSH: every library goes, and the VM with them (Redis makes a new engine too).
   * Returns how many functions there were.
   */
  flush(): number {
    const n = this.live.functionCount;
    this.live = new LibrarySet();
    this.engineInstance = null;
    return n;
  }

  /** Replaces the live set with `set` (RESTORE FLUSH); the old libraries' code is released. */
  swap(set: LibrarySet): void {
    for (const lib of this.live.libraries.values()) this.release(lib);
    this.live = set;
  }

  /**
   * Moves every library of `src` into the live set (RESTORE APPEND/REPLACE), as Redis's
   * libraryJoin: on a collision nothing changes and the error reply is returned.
   */
  join(src: LibrarySet, replace: boolean): string | null {
    const dst = this.live;
    const replaced: Library[] = [];
    const undo = (): void => {
      for (const lib of replaced) dst.link(lib);
    };
    for (const lib of src.libraries.values()) {
      const old = dst.libraries.get(lib.name);
      if (old === undefined) continue;
      if (!replace) {
        undo();
        return E.functionRestoreLibraryExists(lib.name);
      }
      dst.unlink(old);
      replaced.push(old);
    }
    for (const lib of src.libraries.values()) {
      const clash = dst.collision(lib);
      if (clash !== undefined) {
        undo();
        return E.functionExists(clash.name);
      }
    }
    for (const lib of src.libraries.values()) dst.link(lib);
    for (const lib of replaced) this.release(lib);
    return null;
  }

  /** Frees the compiled functions of a library no set holds any more (or a set never linked). */
  release(lib: Library): void {
    const engine = this.engineInstance;
    if (engine === null || engine.broken) return;
    for (const fn of lib.functions.values()) engine.release(fn.ref);
  }

  releaseSet(set: LibrarySet): void {
    for (const lib of set.libraries.values()) this.release(lib);
  }

  /** INFO's functions figures, without starting a VM. */
  memory(): { vm: number; overhead: number; functions: number; libraries: number } {
    return {
      vm: this.engineInstance?.memoryUsed() ?? 0,
      overhead: this.overheadBytes(),
      functions: this.live.functions.size,
      libraries: this.live.libraries.size,
    };
  }

  /** INFO used_memory_functions: what the libraries' names and code take, roughly as Redis counts. */
  overheadBytes(): number {
    let n = 0;
    for (const lib of this.live.libraries.values()) {
      n += 64 + lib.name.length + lib.code.length;
      for (const fn of lib.functions.values()) n += 64 + fn.name.length + (fn.description?.length ?? 0);
    }
    return n;
  }
}

export function flagNames(flags: number): string[] {
  return FUNCTION_FLAG_NAMES.filter((_, i) => (flags & (1 << i)) !== 0);
}
