// The Lua VM that runs scripts: real Lua 5.1.5 compiled to WebAssembly (see docs/lua-runtime.md),
// one state per LuaEngine, sandboxed as Redis 7.0 sandboxes its own. redis.call inside a script
// calls the host's `call` and gets RESP back before the script goes on; a long script may be
// suspended by its hook (run/resume return 'suspended') so the host can serve others meanwhile,
// wherever it is (inside pcall, a metamethod, a callback): the module is built with binaryen's
// Asyncify, which lets the VM unwind the wasm stack and rewind it later (wasm/bridge.c).

import { createHash } from 'node:crypto';
import * as E from '../errors.js';
import { VERSION } from '../version.js';
import type { Reply } from '../protocol/reply-writer.js';
import { LUA_WASM_BASE64 } from './lua-wasm.js';
import { Wasm, type WasmGlobal, type WasmMemory, type WasmModule } from './wasm-api.js';
import { errorLine, readErrorInfo, writeTagged, type ScriptErrorInfo } from './tagged-reply.js';

/** A command's RESP reply still in its writer (a RespWriter): moved into the VM as bytes. */
interface RespSource {
  /** Bytes written. */
  readonly pending: number;
  /** Moves them into `dst` at `at`, leaving the writer empty. */
  moveTo(dst: Buffer, at: number): void;
  /** Drops them. */
  take(): unknown;
}

export interface LuaEngineOptions {
  /** Runs one command for redis.call/redis.pcall and returns its reply as RESP (latin1 text, or
   *  the writer that holds it), in the protocol version the script chose with redis.setresp.
   *  Must not throw. */
  call(argv: string[], resp: 2 | 3): string | RespSource;
  /** redis.acl_check_cmd: whether the script's user may run `argv`; null when no such command exists. */
  aclCheck?: (argv: string[]) => boolean | null;
  /** redis.log: level 0 (debug) to 3 (warning). */
  log?: (level: number, message: string) => void;
  /** Asked every `hookInterval` VM instructions while a script runs (`canYield` true) or a
   *  library body loads (false); true stops it, a script with "Script killed by user with SCRIPT
   *  KILL..." (and pcall cannot catch it); 'yield' suspends a script, wherever it is. */
  interrupt?: (canYield: boolean) => boolean | 'yield';
  /** Instructions between interrupt checks; 0 turns the hook off. Default 100000, as Redis. */
  hookInterval?: number;
  /** Bytes the Lua heap may hold; an allocation past it fails with "not enough memory". 0: no cap. */
  memoryLimit?: number;
  /** redis.REDIS_VERSION and redis.REDIS_VERSION_NUM. */
  version?: string;
}

/** How a script ended: its reply was written, or it failed with an error line (also written). */
export type ScriptOutcome = { ok: true } | { ok: false; error: string; info: ScriptErrorInfo };

/** What run and resume give: the outcome, or 'suspended' (call resume() to go on). */
export type RunResult = ScriptOutcome | 'suspended';

export type CompileResult = { ok: true; ref: number } | { ok: false; error: string };

/** A function a library registered: flags are bits in FUNCTION_FLAG_NAMES order. */
export interface RegisteredFunction {
  readonly name: string;
  readonly description: string | null;
  readonly flags: number;
  readonly ref: number;
}

/** What FUNCTION LOAD's run of a library body gave: its functions, or Lua's error text. */
export type LibraryLoadResult =
  | { ok: true; functions: RegisteredFunction[] }
  | { ok: false; compile: boolean; error: string };

/** Function flags as the VM numbers them (bit i = name i), in Redis's listing order. */
export const FUNCTION_FLAG_NAMES = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'] as const;

interface Exports {
  memory: WasmMemory;
  __stack_pointer: WasmGlobal;
  _initialize(): void;
  rd_reserve(n: number): number;
  rd_io(): number;
  rd_io_len(): number;
  rd_call_pfunc(f: number, l: number, ud: number): void;
  rd_memory(): number;
  rd_set_limit(n: number): void;
  rd_gc_step(n: number): void;
  rd_gc_full(): void;
  rd_resp(): number;
  rd_seal(): void;
  rd_set_redis_string(name: number, len: number): void;
  rd_set_redis_number(name: number, v: number): void;
  rd_init(limit: number): number;
  rd_compile(len: number, nameOff: number): number;
  rd_unref(ref: number): void;
  rd_call(ref: number, nkeys: number, nargs: number, asGlobals: number, hookCount: number): number;
  rd_abandon(): void;
  rd_end_unwind(): number;
  rd_begin_rewind(): void;
  rd_suspended_bytes(): number;
  rd_suspend_state(): number;
  rd_fn_init(): void;
  rd_fn_load(len: number, nameOff: number, hookCount: number): number;
}

/** The outcome of every script that ended with its reply (never changed). */
const SCRIPT_OK: ScriptOutcome = Object.freeze({ ok: true });

/** Writes `list` as length-prefixed strings at `p` (room already reserved); returns the end. */
function putStrings(m: Buffer, p: number, list: readonly string[]): number {
  for (const s of list) {
    m.writeUInt32LE(s.length, p);
    m.latin1Write(s, p + 4);
    p += 4 + s.length;
  }
  return p;
}

// Process-wide, not Server state: a compiled WebAssembly.Module is immutable and identical for every server (each engine has its own Instance).
const compiled: { module?: WasmModule } = {};

/** Compiled once per process; instantiating it again per engine is cheap and synchronous. */
function luaModule(): WasmModule {
  compiled.module ??= new Wasm.Module(Buffer.from(LUA_WASM_BASE64, 'base64'));
  return compiled.module;
}

/** What the host throws to unwind a Lua error to the nearest protected call. */
const LUA_ERROR = new Error('Lua error unwinding to its protected call');
/** rd_vm.state while the wasm stack is being unwound (lvm.c): rd_call returned early. */
const RD_UNWINDING = 1;
/** rd_call's status when the script's reply (or error) is larger than the VM may hand over. */
const REPLY_TOO_LARGE = 100;
const ENOSYS = 52;
const EBADF = 8;
/** Lua's GC gets a small step every this many calls, as Redis does. */
const GC_PERIOD = 50;

const DEFAULT_VERSION = '7.0.15';

/** REDIS_VERSION_NUM: 0x00MMmmpp. */
function versionNum(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return (a << 16) | (b << 8) | c;
}

export class LuaEngine {
  private readonly ex: Exports;
  private readonly opts: LuaEngineOptions;
  private mem: Buffer;
  private running = false;
  /** The reply and name of the script that is suspended, or null. */
  private pending: { reply: Reply; name: string } | null = null;
  /** The C stack pointer between calls (the top of the C stack), which abandon() gives back:
   *  no script starts while another call into this VM is under way. */
  private readonly restingSp: number;
  /** Where the VM keeps its suspension state (read after every call, see step()). */
  private readonly suspendState: number;
  private calls = 0;
  /** Set when the VM hit a trap or a host failure mid-call: its state can no longer be trusted. */
  broken = false;

  constructor(opts: LuaEngineOptions) {
    this.opts = opts;
    const wasi: Record<string, () => number> = {};
    for (const imp of Wasm.Module.imports(luaModule())) {
      if (imp.module === 'wasi_snapshot_preview1') wasi[imp.name] = () => ENOSYS;
    }
    // No preopened directories: the libc finds none and the VM never sees a file.
    wasi['fd_prestat_get'] = () => EBADF;
    wasi['proc_exit'] = () => {
      throw new Error('Lua VM called exit');
    };
    const env = {
      rd_host_throw: (): never => {
        throw LUA_ERROR;
      },
      // A protected call. A suspension unwinds through here like any wasm frame: the call
      // returns early, and is made again with the same arguments when the stack is rewound
      // (the stack pointer is then that of the deepest frame: restoring it after an error
      // keeps a little more of the C stack than needed, until the caller returns).
      rd_host_try: (f: number, l: number, ud: number): void => {
        const sp = this.ex.__stack_pointer.value;
        try {
          this.ex.rd_call_pfunc(f, l, ud);
        } catch (e) {
          if (e !== LUA_ERROR) throw e;
          // The C frames between here and the throw never ran their epilogues.
          this.ex.__stack_pointer.value = sp;
        }
      },
      rd_host_call: (resp: number): number => this.hostCall(resp === 3 ? 3 : 2),
      rd_host_acl_check: (): number => {
        const allowed = this.opts.aclCheck?.(this.readArgv()) ?? null;
        return allowed === null ? -1 : allowed ? 1 : 0;
      },
      rd_host_interrupt: (): number => (this.opts.interrupt?.(false) === true ? 1 : 0),
      rd_host_slice: (): number => {
        const action = this.opts.interrupt?.(true) ?? false;
        return action === true ? 1 : action === 'yield' ? 2 : 0;
      },
      rd_host_log: (level: number, ptr: number, len: number): void => {
        this.opts.log?.(level, this.view().latin1Slice(ptr, ptr + len));
      },
      rd_host_sha1hex: (ptr: number, len: number, out: number): void => {
        const m = this.view();
        const hex = createHash('sha1').update(m.subarray(ptr, ptr + len)).digest('hex');
        m.latin1Write(hex, out);
      },
    };
    const instance = new Wasm.Instance(luaModule(), { env, wasi_snapshot_preview1: wasi });
    this.ex = instance.exports as Exports;
    this.mem = Buffer.from(this.ex.memory.buffer);
    this.ex._initialize();
    this.restingSp = this.ex.__stack_pointer.value;
    this.suspendState = this.ex.rd_suspend_state();
    if (!this.ex.rd_init(opts.memoryLimit ?? 0)) throw new Error('Lua VM failed to start');
    const version = opts.version ?? DEFAULT_VERSION;
    this.setRedisString('REDIS_VERSION', version);
    this.setRedisNumber('REDIS_VERSION_NUM', versionNum(version));
    // As Valkey 8 names itself (SERVER_NAME, VALKEY_VERSION) in the same table, also reachable as `server`.
    this.setRedisString('SERVER_NAME', 'redoubt');
    this.setRedisString('REDOUBT_VERSION', VERSION);
    this.setRedisNumber('REDOUBT_VERSION_NUM', versionNum(VERSION));
    this.ex.rd_seal();
  }

  /** Bytes the Lua heap holds now (used_memory_lua). */
  memoryUsed(): number {
    return this.ex.rd_memory() >>> 0;
  }

  /** Bytes of WebAssembly memory reserved by this VM, which never shrinks. */
  memoryReserved(): number {
    return this.ex.memory.buffer.byteLength;
  }

  setMemoryLimit(bytes: number): void {
    this.ex.rd_set_limit(bytes);
  }

  collectGarbage(): void {
    this.ex.rd_gc_full();
  }

  /** Compiles a chunk; `chunkname` follows Lua's rules ("@user_script" prints as user_script). */
  compile(body: string, chunkname = '@user_script'): CompileResult {
    // Lua's own words for a chunk too large to load under the memory cap.
    if (this.putTextAndName(body, chunkname) === 0) return { ok: false, error: 'not enough memory' };
    const ref = this.ex.rd_compile(body.length, body.length);
    if (ref > 0) return { ok: true, ref };
    const p = this.ex.rd_io();
    return { ok: false, error: this.view().latin1Slice(p, p + this.ex.rd_io_len()) };
  }

  release(ref: number): void {
    this.ex.rd_unref(ref);
  }

  /**
   * Runs a compiled chunk and writes its reply (or error) to `reply` by Redis's Lua -> RESP
   * rules. EVAL passes KEYS/ARGV as globals; FCALL (`asGlobals` false) as the two arguments.
   * `name` is what Redis names the script in errors (the SHA1 for EVAL, the function name).
   * 'suspended' means the interrupt option asked to yield: nothing is written until resume()
   * finishes the script, and no other script may run on this VM meanwhile.
   */
  run(ref: number, keys: readonly string[], args: readonly string[], reply: Reply, name: string, asGlobals = true): RunResult {
    if (this.running || this.pending !== null) throw new Error('Lua VM is already running a script');
    if (this.broken) throw new Error('Lua VM is unusable after an internal failure');
    let size = 0;
    for (const k of keys) size += 4 + k.length;
    for (const a of args) size += 4 + a.length;
    const io = this.ex.rd_reserve(size);
    // Lua's own words, as when the arguments' allocation is refused in the VM.
    if (io === 0) return this.fail(reply, E.scriptRunError(name, 'not enough memory'));
    const m = this.view();
    putStrings(m, putStrings(m, io, keys), args);
    const hook = this.opts.hookInterval ?? 100000;
    const status = this.enter(reply, false, ref, keys.length, args.length, asGlobals ? 1 : 0, hook);
    return typeof status === 'number' ? this.step(reply, name, status) : status;
  }

  /** True while a script is suspended, waiting for resume(). */
  get suspended(): boolean {
    return this.pending !== null;
  }

  /** Bytes of wasm stack saved for the suspended script (at most 1 MiB, see wasm/bridge.c). */
  get suspendedBytes(): number {
    return this.pending === null ? 0 : this.ex.rd_suspended_bytes() >>> 0;
  }

  /** Runs the suspended script on, until it ends or is suspended again. */
  resume(): RunResult {
    const pending = this.pending;
    if (pending === null || this.running) throw new Error('Lua VM has no suspended script');
    this.pending = null;
    // rd_call again, in rewind mode: its arguments are ignored, every frame restores its own.
    const status = this.enter(pending.reply, true, 0, 0, 0, 0, 0);
    return typeof status === 'number' ? this.step(pending.reply, pending.name, status) : status;
  }

  /** Drops the suspended script without running it further; its reply is never written. */
  abandon(): void {
    if (this.pending === null) return;
    this.pending = null;
    if (this.broken) return;
    // The saved stack is forgotten, and the C stack it occupied is given back.
    this.ex.__stack_pointer.value = this.restingSp;
    this.ex.rd_abandon();
  }

  /**
   * rd_call (after rd_begin_rewind when `rewind`) with `running` set meanwhile: its status, or the
   * outcome of a trap, which breaks the VM.
   */
  private enter(reply: Reply, rewind: boolean, ref: number, keys: number, args: number, globals: number, hook: number): number | ScriptOutcome {
    this.running = true;
    try {
      if (rewind) this.ex.rd_begin_rewind();
      return this.ex.rd_call(ref, keys, args, globals, hook);
    } catch (e) {
      return this.failed(reply, e);
    } finally {
      this.running = false;
    }
  }

  /** A trap or a host failure inside the VM: it is not to be trusted again. */
  private failed(reply: Reply, e: unknown): ScriptOutcome {
    this.broken = true;
    return this.fail(reply, E.luaVmFailure(e));
  }

  /** After rd_call returned `status`: the script was suspended, or its reply (or error) is written. */
  private step(reply: Reply, name: string, status: number): RunResult {
    if (this.view().readInt32LE(this.suspendState) === RD_UNWINDING) {
      try {
        // rd_end_unwind also checks that the saved stack fitted in its buffer (a trap otherwise).
        if (this.ex.rd_end_unwind() !== 0) {
          this.pending = { reply, name };
          return 'suspended';
        }
      } catch (e) {
        return this.failed(reply, e);
      }
    }
    if (status === REPLY_TOO_LARGE) return this.fail(reply, E.SCRIPT_REPLY_TOO_LARGE);
    if (++this.calls === GC_PERIOD) {
      this.calls = 0;
      this.ex.rd_gc_step(GC_PERIOD);
    }
    const out = this.ex.rd_io();
    const end = out + this.ex.rd_io_len();
    if (status === 0) {
      writeTagged(this.view(), out, end, reply, this.ex.rd_resp() === 3 ? 3 : 2);
      return SCRIPT_OK;
    }
    const info = readErrorInfo(this.view(), out, end);
    let error: string;
    if (!info.table) error = E.scriptRunError(name, info.message.slice(0, 100));
    else if (info.source !== '' && info.line !== '') error = `${info.message} script: ${name}, on ${info.source}:${info.line}.`;
    else error = info.message;
    reply.error(errorLine(error));
    return { ok: false, error, info };
  }

  /** Ends a script with an error line the VM did not shape. */
  private fail(reply: Reply, error: string): ScriptOutcome {
    reply.error(errorLine(error));
    return { ok: false, error, info: { table: false, message: error, source: '', line: '', ignoreStats: false } };
  }

  /** Runs one command for the script: argv from the VM's buffer in, RESP reply back into it. */
  /** The arguments bridge.c's put_argv left in io_buf. */
  private readArgv(): string[] {
    const m = this.view();
    const io = this.ex.rd_io();
    const argc = m.readUInt32LE(io);
    const argv: string[] = new Array<string>(argc);
    let p = io + 4;
    for (let i = 0; i < argc; i++) {
      const n = m.readUInt32LE(p);
      argv[i] = m.latin1Slice(p + 4, p + 4 + n);
      p += 4 + n;
    }
    return argv;
  }

  private hostCall(resp: 2 | 3): number {
    const argv = this.readArgv();
    let out: string | RespSource;
    try {
      out = this.opts.call(argv, resp);
    } catch (e) {
      out = `-${E.errorFrom(e)}\r\n`;
    }
    if (typeof out === 'string') {
      // A reply larger than the VM may hold fails as an allocation past its cap would.
      const dst = this.ex.rd_reserve(out.length);
      if (dst === 0) return -1;
      this.view().latin1Write(out, dst);
      return out.length;
    }
    const n = out.pending;
    const dst = this.ex.rd_reserve(n);
    if (dst === 0) {
      out.take();
      return -1;
    }
    out.moveTo(this.view(), dst);
    return n;
  }

  private setRedisString(name: string, value: string): void {
    const io = this.putTextAndName(value, name);
    this.ex.rd_set_redis_string(io + value.length, value.length);
  }

  private setRedisNumber(name: string, value: number): void {
    const io = this.ex.rd_reserve(name.length + 1);
    const m = this.view();
    m.latin1Write(name, io);
    m[io + name.length] = 0;
    this.ex.rd_set_redis_number(io, value);
  }

  // --- Redis 7 functions (FUNCTION LOAD, FCALL) ---

  /** Makes this a functions engine: globals of its own, and FUNCTION LOAD's API. Once, first. */
  enableFunctions(): void {
    this.ex.rd_fn_init();
  }

  /**
   * Runs a library's body with only FUNCTION LOAD's API (redis.register_function, redis.log) and
   * returns what it registered; each function's ref runs with `run(ref, keys, args, ..., false)`.
   * The `interrupt` option is asked every `hookInterval` instructions, as while a script runs.
   */
  loadLibrary(body: string, chunkname = '@user_function'): LibraryLoadResult {
    if (this.running) throw new Error('Lua VM is already running a script');
    if (this.broken) throw new Error('Lua VM is unusable after an internal failure');
    if (this.putTextAndName(body, chunkname) === 0) return { ok: false, compile: true, error: 'not enough memory' };
    this.running = true;
    let status: number;
    try {
      status = this.ex.rd_fn_load(body.length, body.length, this.opts.hookInterval ?? 100000);
    } catch (e) {
      this.broken = true;
      return { ok: false, compile: false, error: E.luaVmFailure(e) };
    } finally {
      this.running = false;
    }
    const m = this.view();
    const out = this.ex.rd_io();
    if (status !== 0) return { ok: false, compile: status === 1, error: m.latin1Slice(out, out + this.ex.rd_io_len()) };
    let p = out;
    const count = m.readUInt32LE(p);
    p += 4;
    const functions: RegisteredFunction[] = [];
    for (let i = 0; i < count; i++) {
      const nameLen = m.readUInt32LE(p);
      const name = m.latin1Slice(p + 4, p + 4 + nameLen);
      p += 4 + nameLen;
      const descLen = m.readUInt32LE(p);
      let description: string | null = null;
      p += 4;
      if (descLen !== 0xffffffff) {
        description = m.latin1Slice(p, p + descLen);
        p += descLen;
      }
      const flags = m.readUInt32LE(p);
      const ref = m.readInt32LE(p + 4);
      p += 8;
      functions.push({ name, description, flags, ref });
    }
    return { ok: true, functions };
  }

  /** Writes `text` then `name` and a NUL into the VM's I/O buffer (a chunk and its chunkname, a
   *  value and its field name); returns where `text` starts, or 0 if it is larger than the VM
   *  may take. */
  private putTextAndName(text: string, name: string): number {
    const io = this.ex.rd_reserve(text.length + name.length + 1);
    if (io === 0) return 0;
    const m = this.view();
    m.latin1Write(text, io);
    m.latin1Write(name, io + text.length);
    m[io + text.length + name.length] = 0;
    return io;
  }

  /** A Buffer over the VM's memory, renewed when the memory grew: growing detaches the old
   *  ArrayBuffer, and a view of a detached one has length 0 (cheaper to ask than memory.buffer). */
  private view(): Buffer {
    if (this.mem.length === 0) this.mem = Buffer.from(this.ex.memory.buffer);
    return this.mem;
  }
}
