// The live configuration: values of every parameter in the table, parsed and validated by kind
// with Redis's own error wording, set atomically (all or nothing) and applied through each
// parameter's apply hook.

import { parameters } from './parameters.js';
import { ConfigError, type ParamDef, type ParamValue } from './types.js';
import type { Server } from '../server/server.js';

export { ConfigError };

const BOOL_ERR = "argument must be 'yes' or 'no'";
const INT_ERR = "argument couldn't be parsed into an integer";
const MEM_ERR = 'argument must be a memory value';

/** Redis's memtoull: a number with an optional unit; k=1000, kb=1024, m, mb, g, gb. */
export function parseMemory(raw: string): number | null {
  const m = /^(-?\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(raw);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mul: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 * 1024, g: 1e9, gb: 1024 * 1024 * 1024 };
  return n * mul[unit]!;
}

/** strtoll as Redis's config parser uses it: an optional sign and decimal digits, nothing else. */
export function parseConfigInt(raw: string): number | null {
  if (!/^[-+]?\d+$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

/** Parses the words of one directive into its stored value, or an Error with Redis's text. */
export function parseParam(def: ParamDef, words: string[]): ParamValue | Error {
  if (def.kind !== 'special' && !def.multi && words.length !== 1) {
    return new ConfigError('wrong number of arguments');
  }
  const raw = words.join(' ');
  let value: ParamValue;
  switch (def.kind) {
    case 'bool': {
      const v = raw.toLowerCase();
      if (v !== 'yes' && v !== 'no') return new ConfigError(BOOL_ERR);
      value = v === 'yes';
      break;
    }
    case 'int':
    case 'memory': {
      const n = def.kind === 'memory' ? parseMemory(raw) : parseConfigInt(raw);
      if (n === null) return new ConfigError(def.kind === 'memory' ? MEM_ERR : INT_ERR);
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
        return new ConfigError(`argument must be between ${def.min ?? 0} and ${def.max ?? 0} inclusive`);
      }
      value = n;
      break;
    }
    case 'enum': {
      const values = def.values ?? [];
      const chosen = raw.toLowerCase().split(' ').filter((s) => s !== '');
      if (chosen.length === 0 || (!def.multi && chosen.length !== 1) || chosen.some((v) => !values.includes(v))) {
        return new ConfigError(`argument(s) must be one of the following: ${values.join(', ')}`);
      }
      value = chosen.join(' ');
      break;
    }
    case 'string':
    case 'special': {
      if (def.parse) {
        const r = def.parse(words);
        if (r instanceof Error) return r;
        value = r;
      } else {
        value = raw;
      }
      break;
    }
  }
  if (def.onlyOff && !def.onlyOff.includes(renderValue(def, value))) {
    return new ConfigError(
      `'${def.name}' is not supported by Redoubt yet; the only accepted value is ${def.onlyOff
        .map((v) => `"${v}"`)
        .join(' or ')}`,
    );
  }
  return value;
}

export function renderValue(def: ParamDef, value: ParamValue): string {
  if (def.render) return def.render(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

export class Config {
  private readonly values = new Map<string, ParamValue>();
  readonly defs = new Map<string, ParamDef>();
  /** Parameters set by the config file or flags (CONFIG REWRITE keeps them). */
  readonly explicitlySet = new Set<string>();

  constructor() {
    for (const def of parameters) {
      this.defs.set(def.name, def);
      if (def.alias) this.defs.set(def.alias, def);
      const v = parseParam(def, def.default === '' ? [''] : splitDefault(def));
      if (v instanceof Error) throw new Error(`bad default for ${def.name}: ${v.message}`);
      this.values.set(def.name, v);
    }
  }

  lookup(name: string): ParamDef | undefined {
    return this.defs.get(name.toLowerCase());
  }

  raw(name: string): ParamValue {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`unknown config parameter ${name}`);
    return v;
  }

  num(name: string): number {
    return this.raw(name) as number;
  }

  bool(name: string): boolean {
    return this.raw(name) as boolean;
  }

  str(name: string): string {
    return String(this.raw(name));
  }

  /** The value as CONFIG GET shows it. */
  render(def: ParamDef): string {
    return renderValue(def, this.values.get(def.name)!);
  }

  /** Stores a value without validation or hooks (startup, before the server exists). */
  store(def: ParamDef, value: ParamValue): void {
    this.values.set(def.name, value);
  }

  /**
   * CONFIG SET semantics: every pair is validated first; then all are stored and applied; if an
   * apply hook fails, every value is restored and the hooks re-run with the old values.
   * Returns null or [parameter name, error text].
   */
  setMany(server: Server | null, pairs: [ParamDef, ParamValue][]): [string, string] | null {
    const old = pairs.map(([def]) => [def, this.values.get(def.name)!] as [ParamDef, ParamValue]);
    for (const [def, value] of pairs) this.values.set(def.name, value);
    if (server) {
      for (const [def, value] of pairs) {
        const err = def.apply?.(server, value);
        if (err instanceof Error) {
          for (const [d, v] of old) this.values.set(d.name, v);
          for (const [d, v] of old) d.apply?.(server, v);
          return [def.name, err.message];
        }
      }
    }
    return null;
  }
}

/** Splits a table default the way a config file line would be split. */
function splitDefault(def: ParamDef): string[] {
  if (def.kind === 'special' || def.multi) return def.default.split(' ').filter((w) => w !== '');
  return [def.default];
}
