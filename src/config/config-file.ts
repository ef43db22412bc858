// Reading redis.conf-format text into a Config, line by line as Redis's loadServerConfigFromString:
// comments, Redis quoting, case-insensitive names, `include` (nested, wildcards, relative to the
// working directory), `rename-command`, and a refusal that names the source, line and reason.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { splitArgs } from '../protocol/resp-parser.js';
import { globMatch } from '../store/glob.js';
import { strerror } from './special.js';
import type { Config } from './config.js';

/** Where a directive came from, for error messages. */
export interface Source {
  /** "the configuration file /etc/redoubt.conf", "standard input", "the command line". */
  readonly label: string;
  /** What a line number counts: "line" in files, "option" on the command line. */
  readonly unit: 'line' | 'option';
}

/** A refused directive (or unreadable file); main prints it and exits with status 1. */
export class StartupConfigError extends Error {
  constructor(
    reason: string,
    readonly source: Source | null = null,
    readonly lineNumber = 0,
    readonly lineText = '',
  ) {
    super(reason);
  }
}

/** A rename-command line, applied once the command table exists. */
export interface Rename {
  readonly from: string;
  readonly to: string;
  readonly source: Source;
  readonly lineNumber: number;
  readonly lineText: string;
}

/** Directives Redis 7.0 still accepts and ignores (with exactly one argument). */
const DEPRECATED = new Set(['list-max-ziplist-entries', 'list-max-ziplist-value', 'lua-replicate-commands']);
const MAX_INCLUDE_DEPTH = 16;

/** A `user` directive: the user name, then its rules with selectors merged. */
export interface UserLine {
  readonly rules: readonly string[];
}

/**
 * Checks a `user` line (argv: "user", name, rules...) as it is read, given the lines before it:
 * the line to keep, or the reason to refuse it. ACL rules are the security layer's to judge, so
 * the caller hands the check in (security/acl/startup.ts).
 */
export type UserLineCheck = (argv: readonly string[], seen: readonly UserLine[]) => string | UserLine;

/** For loaders that only read directives (tests, the documentation check): the words, unjudged. */
const keepUserLine: UserLineCheck = (argv) => ({ rules: argv.slice(1) });

export class ConfigLoader {
  readonly renames: Rename[] = [];
  readonly users: UserLine[] = [];
  /** Accumulating directives (save) already seen in this load: later lines add to them. */
  private readonly seen = new Set<string>();
  private depth = 0;

  constructor(
    readonly config: Config,
    private readonly checkUser: UserLineCheck = keepUserLine,
  ) {}

  /** Reads a file (or every file a wildcard path matches) and applies its directives. */
  loadFile(path: string): void {
    if (/[*?[]/.test(path)) {
      // As Redis: a wildcard that matches nothing is not an error (an empty conf.d directory).
      for (const p of expandGlob(path)) this.loadOneFile(p);
      return;
    }
    this.loadOneFile(path);
  }

  private loadOneFile(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (err) {
      throw new StartupConfigError(`Fatal error, can't open config file '${path}': ${strerror(err)}`);
    }
    this.loadText(text, { label: `the configuration file ${path}`, unit: 'line' });
  }

  /** Applies every line of `text`. */
  loadText(text: string, source: Source): void {
    for (const [i, raw] of text.split('\n').entries()) {
      const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (line === '' || line.startsWith('#')) continue;
      this.directive(line, source, i + 1);
    }
  }

  /** Applies one directive line; throws StartupConfigError naming `source` and `lineNumber`. */
  directive(line: string, source: Source, lineNumber: number): void {
    const fail = (reason: string): never => {
      throw new StartupConfigError(reason, source, lineNumber, line);
    };
    const argv = splitArgs(line) ?? fail('Unbalanced quotes in configuration line');
    const [directive, ...words] = argv;
    if (directive === undefined) return;
    const name = directive.toLowerCase();
    const [first, second] = words;
    const config = this.config;
    const def = config.lookup(name);
    if (def) {
      let value = config.parse(def, words);
      if (value instanceof Error) return fail(value.message);
      if (def.accumulate && this.seen.has(def.name)) {
        value = [config.current(def), value].filter((v) => v !== '').join(' ');
      }
      const err = config.store(def, value);
      if (err instanceof Error) fail(err.message);
      config.explicitlySet.add(def.name);
      this.seen.add(def.name);
      return;
    }
    if (DEPRECATED.has(name) && words.length === 1) return;
    if (name === 'include' && words.length === 1 && first !== undefined) {
      if (++this.depth > MAX_INCLUDE_DEPTH) fail(`include nesting deeper than ${MAX_INCLUDE_DEPTH} files`);
      try {
        this.loadFile(first);
      } finally {
        this.depth--;
      }
      return;
    }
    if (name === 'rename-command' && words.length === 2 && first !== undefined && second !== undefined) {
      this.renames.push({ from: first, to: second, source, lineNumber, lineText: line });
      return;
    }
    if (name === 'user' && words.length >= 1) {
      this.addUser(argv, fail);
      return;
    }
    if (name === 'loadmodule' && words.length >= 1) fail('Redoubt does not support modules, so loadmodule cannot be used');
    if (name === 'sentinel') fail('Redoubt does not support Sentinel mode');
    if (name.includes('.')) {
      if (words.length !== 1) fail('Module config specified without value');
      fail('Redoubt does not support modules, so module configuration cannot be used');
    }
    fail('Bad directive or wrong number of arguments');
  }

  private addUser(argv: readonly string[], fail: (reason: string) => never): void {
    const line = this.checkUser(argv, this.users);
    if (typeof line === 'string') fail(line);
    else this.users.push(line);
  }
}

/** glob(3) for include paths: wildcards in any segment, matches sorted, hidden files only by a leading dot. */
function expandGlob(pattern: string): string[] {
  const absolute = pattern.startsWith('/');
  let paths = [absolute ? '/' : ''];
  for (const part of pattern.split('/').filter((p) => p !== '')) {
    const next: string[] = [];
    for (const base of paths) {
      if (!/[*?[]/.test(part)) {
        next.push(base === '' ? part : join(base, part));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(base === '' ? '.' : base);
      } catch {
        continue;
      }
      for (const n of names.sort()) {
        if (n.startsWith('.') && !part.startsWith('.')) continue;
        if (globMatch(part, n)) next.push(base === '' ? n : join(base, n));
      }
    }
    paths = next;
  }
  return paths.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/** The fatal message printed for a refused startup configuration, in Redis's layout. */
export function formatStartupError(err: StartupConfigError, product: string): string {
  if (err.source === null && err.message.startsWith('Fatal error')) return `${err.message}\n`;
  let out = `\n*** FATAL CONFIG FILE ERROR (${product}) ***\n`;
  if (err.source !== null) {
    out += `Reading ${err.source.label}, at ${err.source.unit} ${err.lineNumber}\n`;
    out += `>>> '${err.lineText}'\n`;
  }
  return out + `${err.message}\n`;
}
