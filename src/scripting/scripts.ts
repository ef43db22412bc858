// The per-server script cache behind EVAL, EVALSHA and SCRIPT (Server.scripts): SHA1 → body,
// shebang flags and the chunk compiled in the server's one Lua engine. The engine is made on first
// use and remade after SCRIPT FLUSH or a VM failure; bodies outlive it and are recompiled on demand.

import { createHash } from 'node:crypto';
import * as E from '../errors.js';
import type { Server } from '../server/server.js';
import { LuaEngine, type LuaEngineOptions } from './lua-engine.js';
import { ScriptClient } from './script-client.js';
import { scriptInterrupt } from './script-run.js';
import { REDIS_VERSION } from '../version.js';

/** Shebang flags, as Redis's SCRIPT_FLAG_*. */
interface ScriptFlags {
  /** No shebang: Redis's EVAL_COMPAT_MODE, where the flags below are not checked up front. */
  readonly compat: boolean;
  readonly noWrites: boolean;
  readonly allowOom: boolean;
  readonly allowStale: boolean;
  readonly noCluster: boolean;
  readonly allowCrossSlot: boolean;
}

export interface CachedScript {
  readonly sha: string;
  readonly body: string;
  readonly flags: ScriptFlags;
  /** Length of the shebang line, left out of what Lua compiles (its newline stays: lines keep their numbers). */
  readonly shebangLen: number;
  /** The compiled chunk in `engine`, or 0 when it must be compiled again. */
  ref: number;
  engine: LuaEngine | null;
}

/** Bytes of the Lua heap a script may use; past it the allocation fails with "not enough memory". */
const LUA_MEMORY_LIMIT = 256 << 20;

/**
 * A Lua VM for EVAL or for functions: redis.call runs through `client`, redis.log goes to the
 * server log, `interrupt` answers the hook (go on, kill, yield).
 */
export function newScriptEngine(server: Server, client: ScriptClient, interrupt: NonNullable<LuaEngineOptions['interrupt']>): LuaEngine {
  return new LuaEngine({
    call: (argv, resp) => client.call(argv, resp),
    aclCheck: (argv) => client.aclAllows(argv),
    log: (level, message) => {
      if (level <= 0) server.log.debug(message);
      else if (level === 1) server.log.verbose(message);
      else if (level === 2) server.log.notice(message);
      else server.log.warning(message);
    },
    interrupt,
    memoryLimit: LUA_MEMORY_LIMIT,
    version: REDIS_VERSION,
  });
}

const COMPAT: ScriptFlags = { compat: true, noWrites: false, allowOom: false, allowStale: false, noCluster: false, allowCrossSlot: false };

function sha1hex(body: string): string {
  return createHash('sha1').update(body, 'latin1').digest('hex');
}

/** Parses a `#!lua flags=a,b` first line as Redis 7.0's evalExtractShebangFlags; a string is an error reply. */
function parseShebang(body: string): { flags: ScriptFlags; len: number } | string {
  if (!body.startsWith('#!')) return { flags: COMPAT, len: 0 };
  const end = body.indexOf('\n');
  if (end === -1) return E.SHEBANG_INVALID;
  const parts = splitWords(body.slice(0, end));
  const engine = parts?.[0];
  if (parts === null || engine === undefined) return E.SHEBANG_NO_ENGINE;
  if (engine !== '#!lua') return E.shebangEngine(engine);
  const f = { compat: false, noWrites: false, allowOom: false, allowStale: false, noCluster: false, allowCrossSlot: false };
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return E.shebangOption(part);
    const list = part.slice(6);
    if (list === '') continue;
    for (const flag of list.split(',')) {
      if (flag === 'no-writes') f.noWrites = true;
      else if (flag === 'allow-oom') f.allowOom = true;
      else if (flag === 'allow-stale') f.allowStale = true;
      else if (flag === 'no-cluster') f.noCluster = true;
      else if (flag === 'allow-cross-slot-keys') f.allowCrossSlot = true;
      else return E.shebangFlag(flag);
    }
  }
  return { flags: f, len: end };
}

/** Whitespace-separated words with redis-cli style quotes (sdssplitargs); null on unbalanced quotes. */
export function splitWords(line: string): string[] | null {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line.charAt(i))) i++;
    if (i >= line.length) break;
    let word = '';
    let quote = '';
    for (; i < line.length; i++) {
      const ch = line.charAt(i);
      if (quote !== '') {
        if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line.charAt(++i);
        else if (ch === quote) {
          quote = '';
          // A closing quote must end the word, as sdssplitargs demands.
          if (i + 1 < line.length && !/\s/.test(line.charAt(i + 1))) return null;
        } else word += ch;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (/\s/.test(ch)) break;
      else word += ch;
    }
    if (quote !== '') return null;
    words.push(word);
  }
  return words;
}

/** One server's scripting state. */
export class Scripting {
  readonly scripts = new Map<string, CachedScript>();
  /** Sum of the cached bodies (INFO used_memory_scripts_eval). */
  bodyBytes = 0;
  private engineInstance: LuaEngine | null = null;
  /** The script get() found last (cleared with the cache). */
  private last: CachedScript | null = null;
  readonly client: ScriptClient;

  constructor(readonly server: Server) {
    this.client = new ScriptClient(server);
  }

  /** The engine, made on first use (and again after a flush or a VM failure). */
  get engine(): LuaEngine {
    if (this.engineInstance === null || this.engineInstance.broken) {
      this.engineInstance = newScriptEngine(this.server, this.client, scriptInterrupt(this.server));
    }
    return this.engineInstance;
  }

  /**
   * Whether EVAL (`bySha` false: the body) or EVALSHA (the SHA) runs a script that declared
   * no-writes: Redis's evalGetCommandFlags then drops the command's may_replicate flag.
   */
  declaresNoWrites(source: string, bySha: boolean): boolean {
    const cached = this.get(bySha ? source : sha1hex(source));
    let flags: ScriptFlags;
    if (cached !== undefined) flags = cached.flags;
    else if (bySha) return false;
    else {
      const shebang = parseShebang(source);
      if (typeof shebang === 'string') return false;
      flags = shebang.flags;
    }
    return !flags.compat && flags.noWrites;
  }

  get(sha: string): CachedScript | undefined {
    // The same script is usually called again and again: comparing its SHA costs less than
    // hashing the new string for the Map.
    const last = this.last;
    if (last !== null && last.sha === sha) return last;
    // SHAs are cached in lower case, as clients send them: only a miss is worth lowercasing.
    let found = this.scripts.get(sha);
    if (found === undefined && sha.length === 40) {
      const lower = sha.toLowerCase();
      if (lower !== sha) found = this.scripts.get(lower);
    }
    if (found !== undefined) this.last = found;
    return found;
  }

  /**
   * Caches `body` (SCRIPT LOAD, EVAL) and compiles it; a string is the error reply.
   * A script already cached is returned as is, as Redis does.
   */
  load(body: string): CachedScript | string {
    const sha = sha1hex(body);
    const known = this.scripts.get(sha);
    if (known !== undefined) return known;
    const shebang = parseShebang(body);
    if (typeof shebang === 'string') return shebang;
    const script: CachedScript = { sha, body, flags: shebang.flags, shebangLen: shebang.len, ref: 0, engine: null };
    const err = this.compile(script);
    if (err !== null) return err;
    this.scripts.set(sha, script);
    this.bodyBytes += body.length;
    return script;
  }

  /** Makes sure `script` is compiled in the current engine; returns an error reply or null. */
  compile(script: CachedScript): string | null {
    const engine = this.engine;
    if (script.engine === engine && script.ref !== 0) return null;
    const r = engine.compile(script.shebangLen === 0 ? script.body : script.body.slice(script.shebangLen), '@user_script');
    if (!r.ok) return E.scriptCompile(r.error);
    script.ref = r.ref;
    script.engine = engine;
    return null;
  }

  /** After a script: a heap left large (a failed memory bomb, a huge reply) is collected at once.
   *  (Bound, so every script's invocation can name it without a closure of its own.) */
  readonly afterRun = (): void => {
    const engine = this.engineInstance;
    if (engine === null || engine.broken || engine.memoryUsed() < LUA_MEMORY_LIMIT / 8) return;
    // Each full cycle halves Lua's string buffers, so it takes a few.
    for (let i = 0; i < 4 && engine.memoryUsed() >= LUA_MEMORY_LIMIT / 8; i++) engine.collectGarbage();
  };

  /**
   * SCRIPT FLUSH: every script goes, and the VM with them (its memory is only freed that way).
   * Returns how many scripts there were.
   */
  flush(): number {
    const n = this.scripts.size;
    this.scripts.clear();
    this.last = null;
    this.bodyBytes = 0;
    this.engineInstance = null;
    return n;
  }

  /** INFO's scripting figures, without starting a VM: Lua heap bytes, cached bodies' bytes, and their count. */
  memory(): { lua: number; bodies: number; count: number } {
    return { lua: this.engineInstance?.memoryUsed() ?? 0, bodies: this.bodyBytes, count: this.scripts.size };
  }
}
