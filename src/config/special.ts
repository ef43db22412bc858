// Directives with their own syntax (save, bind, client-output-buffer-limit, replicaof, dir,
// tls-protocols, trusted-networks...) and the extra checks some text directives carry, each with
// Redis's wording.

import net from 'node:net';
import { parseDouble } from '../protocol/args.js';
import { formatMemory, memtoull, repr } from './values.js';
import { ConfigError, type ParamDef, type ParamValue, type RewriteLine } from './types.js';

/**
 * The one word of a single-word directive (a text check, dir): parseParam refuses any other
 * count before a parse runs, so a missing word is a bug, reported, not hidden.
 */
export function oneWord(words: readonly string[]): string {
  const w = words[0];
  if (w === undefined) throw new RangeError('a single-word directive got no word');
  return w;
}

/**
 * cluster-allowed-peers: addresses and CIDR ranges (IPv4 or IPv6) separated by spaces or commas,
 * given as one or several words; kept as one space-separated string.
 */
export function allowedPeers(words: string[]): ParamValue | Error {
  const out: string[] = [];
  for (const w of words.join(' ').split(/[\s,]+/)) {
    if (w === '') continue;
    const slash = w.indexOf('/');
    const ip = slash === -1 ? w : w.slice(0, slash);
    const fam = net.isIP(ip);
    if (fam === 0) return new ConfigError(`'${w}' is not an IP address or CIDR range`);
    if (slash !== -1) {
      const p = w.slice(slash + 1);
      if (!/^\d{1,3}$/.test(p) || Number(p) > (fam === 6 ? 128 : 32)) return new ConfigError(`'${w}' has a bad prefix length`);
    }
    out.push(w);
  }
  return out.join(' ');
}

/** Groups of four words (client-output-buffer-limit classes); a partial group at the end is left out. */
function fours(words: readonly string[]): (readonly [string, string, string, string])[] {
  const out: (readonly [string, string, string, string])[] = [];
  for (let j = 0; j + 3 < words.length; j += 4) {
    const [a, b, c, d] = words.slice(j, j + 4);
    if (a === undefined || b === undefined || c === undefined || d === undefined) break;
    out.push([a, b, c, d]);
  }
  return out;
}

/** One empty word (`save ""`) and no words both mean "none". */
const isEmpty = (words: string[]): boolean => words.length === 0 || (words.length === 1 && words[0] === '');

/** strtoll with the whole text consumed (an empty text reads as 0, as in Redis). */
function strtollFull(s: string): number | null {
  if (s === '') return 0;
  return /^[ \t\n\v\f\r]*[+-]?\d+$/.test(s) ? Number(s.trim()) : null;
}

// --- save ---

export function parseSave(words: string[]): ParamValue | Error {
  if (isEmpty(words)) return '';
  if (words.length % 2 !== 0) return new ConfigError('Invalid save parameters');
  const out: number[] = [];
  for (const [j, w] of words.entries()) {
    const v = strtollFull(w);
    if (v === null || (j % 2 === 0 && v < 1) || (j % 2 === 1 && v < 0)) return new ConfigError('Invalid save parameters');
    out.push(v);
  }
  return out.join(' ');
}

export function rewriteSave(value: ParamValue): RewriteLine[] {
  const w = String(value).split(' ').filter((x) => x !== '');
  if (w.length === 0) return [{ line: 'save ""', force: true }];
  const lines: RewriteLine[] = [];
  for (let j = 0; j < w.length; j += 2) lines.push({ line: `save ${w[j]} ${w[j + 1]}`, force: true });
  return lines;
}

// --- bind ---

const BINDADDR_MAX = 16;

export function parseBind(words: string[]): ParamValue | Error {
  if (words.length > BINDADDR_MAX) return new ConfigError('Too many bind addresses specified.');
  return isEmpty(words) ? '' : words.join(' ');
}

export function rewriteBind(value: ParamValue, def: ParamDef): RewriteLine[] {
  if (value === def.default) return [];
  return [{ line: `bind ${value === '' ? '""' : String(value)}`, force: true }];
}

// --- client-output-buffer-limit ---

const OBUF_CLASSES = ['normal', 'slave', 'pubsub'] as const;

export function parseClientOutputBufferLimit(words: string[], current: ParamValue): ParamValue | Error {
  if (words.length % 4 !== 0) return new ConfigError('Wrong number of arguments in buffer limit configuration.');
  const limits = new Map<string, string[]>();
  for (const [cls, ...limit] of fours(String(current).split(' '))) limits.set(cls, limit);
  const updates: [string, string[]][] = [];
  for (const [clsWord, hardWord, softWord, secsWord] of fours(words)) {
    let cls = clsWord.toLowerCase();
    if (cls === 'replica') cls = 'slave';
    if (!(OBUF_CLASSES as readonly string[]).includes(cls)) {
      return new ConfigError('Invalid client class specified in buffer limit configuration.');
    }
    const hard = memtoull(hardWord);
    const soft = memtoull(softWord);
    const secs = strtollFull(secsWord);
    if (hard === null || soft === null || secs === null || secs < 0) {
      return new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    updates.push([cls, [String(hard), String(soft), String(secs)]]);
  }
  for (const [cls, v] of updates) limits.set(cls, v);
  return OBUF_CLASSES.map((c) => `${c} ${(limits.get(c) ?? ['0', '0', '0']).join(' ')}`).join(' ');
}

export function rewriteClientOutputBufferLimit(value: ParamValue, def: ParamDef): RewriteLine[] {
  const cur = String(value).split(' ');
  const dflt = def.default.split(' ');
  const lines: RewriteLine[] = [];
  for (const [i, [cls, hard, soft, secs]] of fours(cur).entries()) {
    const j = i * 4;
    const name = cls === 'slave' ? 'replica' : cls;
    const force = dflt.slice(j, j + 4).join(' ') !== cur.slice(j, j + 4).join(' ');
    lines.push({
      line: `${def.name} ${name} ${formatMemory(BigInt(hard))} ${formatMemory(BigInt(soft))} ${secs}`,
      force,
    });
  }
  return lines;
}

// --- oom-score-adj-values ---

export function parseOomScoreAdjValues(words: string[]): ParamValue | Error {
  if (words.length !== 3) return new ConfigError('wrong number of arguments');
  const out: number[] = [];
  for (const w of words) {
    const v = w === '' ? null : strtollFull(w);
    if (v === null || v < -2000 || v > 2000) {
      return new ConfigError('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
    }
    out.push(v);
  }
  return out.join(' ');
}

// --- replicaof ---

export function parseReplicaOf(words: string[]): ParamValue | Error {
  if (words.length !== 2) return new ConfigError('wrong number of arguments');
  const [host, port] = words as [string, string];
  if (host.toLowerCase() === 'no' && port.toLowerCase() === 'one') return '';
  const p = /^[ \t\n\v\f\r]*[+-]?\d+$/.test(port) ? Number(port.trim()) : NaN;
  if (!(p >= 0 && p <= 65535)) return new ConfigError('Invalid master port');
  return `${host} ${p}`;
}

export function rewriteReplicaOf(value: ParamValue, def: ParamDef): RewriteLine[] {
  return value === '' ? [] : [{ line: `${def.name} ${String(value)}`, force: true }];
}

// --- latency-tracking-info-percentiles ---

/** printf("%f") with trailing zeros (and a bare point) trimmed, as Redis's trimDoubleString. */
function formatPercentile(v: number): string {
  const s = v.toFixed(6);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

export function parsePercentiles(words: string[]): ParamValue | Error {
  if (isEmpty(words)) return '';
  const out: string[] = [];
  for (const w of words) {
    const v = parseDouble(w);
    if (v === null) return new ConfigError('Invalid latency-tracking-info-percentiles parameters');
    if (v > 100 || v < 0) {
      return new ConfigError('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
    }
    out.push(formatPercentile(v));
  }
  return out.join(' ');
}

export function rewritePercentiles(value: ParamValue, def: ParamDef): RewriteLine[] {
  return [{ line: `${def.name} ${value === '' ? '""' : String(value)}`, force: true }];
}

// --- dir ---

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EIO: 'Input/output error',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
};

/** strerror() text for a Node error, as Redis shows it. */
export function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return ERRNO_TEXT[code] ?? (err instanceof Error ? err.message : String(err));
}

/** Redis changes the working directory itself, so later relative paths (include, files) follow it. */
export function chdirEffect(value: ParamValue): Error | undefined {
  if (value === '') return undefined;
  try {
    process.chdir(String(value));
  } catch (err) {
    return new ConfigError(strerror(err));
  }
  return undefined;
}

export function rewriteDir(): RewriteLine[] {
  return [{ line: `dir ${repr(process.cwd())}`, force: true }];
}

// --- checks on text values ---

const isBaseName = (s: string): boolean => !s.includes('/') && !s.includes('\\');

export function validDbFilename(words: string[]): ParamValue | Error {
  const v = oneWord(words);
  return isBaseName(v) ? v : new ConfigError("dbfilename can't be a path, just a filename");
}

export function validAofFilename(words: string[]): ParamValue | Error {
  const v = oneWord(words);
  if (v === '') return new ConfigError("appendfilename can't be empty");
  return isBaseName(v) ? v : new ConfigError("appendfilename can't be a path, just a filename");
}

export function validAofDirname(words: string[]): ParamValue | Error {
  const v = oneWord(words);
  if (v === '') return new ConfigError("appenddirname can't be empty");
  return isBaseName(v) ? v : new ConfigError("appenddirname can't be a path, just a dirname");
}

export function validHostname(words: string[]): ParamValue | Error {
  const v = oneWord(words);
  if (v.length >= 256) return new ConfigError('Hostnames must be less than 256 characters');
  if (!/^[A-Za-z0-9.-]*$/.test(v)) return new ConfigError('Hostnames may only contain alphanumeric characters, hyphens or dots');
  return v;
}

const PROC_TITLE_VARS = ['title', 'listen-addr', 'server-mode', 'port', 'tls-port', 'unixsocket', 'config-file'];

/** A template must expand (known {variables}, balanced braces) to something non-blank with an empty title. */
export function validProcTitleTemplate(words: string[]): ParamValue | Error {
  const t = oneWord(words);
  const bad = new ConfigError('template format is invalid or contains unknown variables');
  let out = '';
  let i = 0;
  while (i < t.length) {
    const open = t.indexOf('{', i);
    if (open === -1) {
      out += t.slice(i);
      break;
    }
    out += t.slice(i, open);
    if (open + 1 >= t.length) return bad;
    if (t[open + 1] === '{') {
      out += '{';
      i = open + 2;
      continue;
    }
    const close = t.indexOf('}', open + 1);
    if (close === -1) return bad;
    const name = t.slice(open + 1, close);
    if (!PROC_TITLE_VARS.includes(name)) return bad;
    // Only {title} is empty while validating; the others expand to something.
    if (name !== 'title') out += 'x';
    i = close + 1;
  }
  return out.trim() === '' ? bad : t;
}

/** shutdown-on-sigint/sigterm: SAVE and NOSAVE contradict each other. */
export function validShutdownFlags(words: string[]): ParamValue | Error {
  const value = oneWord(words);
  const flags = value.split(' ');
  if (flags.includes('save') && flags.includes('nosave')) {
    return new ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously");
  }
  return value;
}

// --- tls-protocols ---

export const TLS_PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export const INVALID_TLS_PROTOCOLS = "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.";

/** The words Redis accepts (any case), or empty for its default. */
export function parseTlsProtocols(words: string[]): ParamValue | Error {
  const text = words.join(' ');
  if (text === '') return '';
  for (const w of text.split(' ')) {
    if (!TLS_PROTOCOLS.some((p) => p.toLowerCase() === w.toLowerCase())) return new ConfigError(INVALID_TLS_PROTOCOLS);
  }
  return text;
}

// --- trusted-networks ---

export interface NetworkRange {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** An IPv4 address an IPv6 socket reports as ::ffff:a.b.c.d is matched as IPv4. */
export function unmapIPv4(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** Reads `addr` or `addr/prefix`; a bare address is a single host. */
export function parseNetworkRange(word: string): NetworkRange | Error {
  const slash = word.indexOf('/');
  const address = unmapIPv4(slash === -1 ? word : word.slice(0, slash));
  const version = net.isIP(address);
  if (version === 0) return new ConfigError(`Invalid network '${word}': expected an IPv4 or IPv6 address or CIDR range`);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = word.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return new ConfigError(`Invalid prefix length in '${word}': must be 0 to ${max}`);
    prefix = Number(p);
  }
  return { address, prefix, family };
}

/** Validates every range and stores them space-separated ('' = everyone). */
export function parseTrustedNetworks(words: string[]): ParamValue | Error {
  const kept: string[] = [];
  for (const w of words) {
    if (w === '') continue;
    const r = parseNetworkRange(w);
    if (r instanceof Error) return r;
    kept.push(w);
  }
  return kept.join(' ');
}
