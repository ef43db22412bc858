// The live configuration: values of every parameter in the table, parsed and validated by kind
// with Redis's own error wording, set atomically (all or nothing) and applied through each
// parameter's hooks.

import { parameters } from './parameters.js';
import { parseEnum, parseNumber, renderValue } from './values.js';
import { ConfigError, type ConfigTarget, type ParamDef, type ParamValue } from './types.js';

export { ConfigError, renderValue };

/** A name the configuration answers to: a parameter's own name or its alias (Redis registers both). */
export interface ConfigEntry {
  readonly name: string;
  readonly def: ParamDef;
  readonly isAlias: boolean;
}

/** Parses the words of one directive into its stored value, or an Error with Redis's text. */
export function parseParam(def: ParamDef, words: string[], current: ParamValue): ParamValue | Error {
  if (!def.multi && words.length !== 1) return new ConfigError('wrong number of arguments');
  let value: ParamValue | Error;
  switch (def.kind) {
    case 'bool': {
      const v = words[0]!.toLowerCase();
      value = v === 'yes' ? true : v === 'no' ? false : new ConfigError("argument must be 'yes' or 'no'");
      break;
    }
    case 'int':
    case 'memory':
      value = parseNumber(def, words[0]!);
      break;
    case 'enum':
      value = parseEnum(def, words);
      break;
    case 'string':
      value = words[0]!;
      break;
    case 'special':
      value = def.parse!(words, current);
      break;
  }
  if (value instanceof Error) return value;
  if (def.parse && def.kind !== 'special') {
    value = def.parse([String(value)], current);
    if (value instanceof Error) return value;
  }
  if (def.onlyOff && !def.onlyOff.includes(renderValue(def, value))) {
    const accepted = def.onlyOff.map((v) => `"${v}"`).join(' or ');
    return new ConfigError(`Redoubt does not support ${def.feature ?? 'this feature'} yet, so '${def.name}' only accepts ${accepted}`);
  }
  return value;
}

export class Config {
  private readonly values = new Map<string, ParamValue>();
  /** Every name, primary and alias, lower-cased. */
  private readonly entries = new Map<string, ConfigEntry>();
  /** Entries in table order (each parameter, then its alias), for CONFIG GET patterns. */
  readonly list: readonly ConfigEntry[];
  /** Parameter by any of its names (lower case). */
  readonly defs = new Map<string, ParamDef>();
  /** Parameters set by the config file or flags. */
  readonly explicitlySet = new Set<string>();

  constructor() {
    const list: ConfigEntry[] = [];
    for (const def of parameters) {
      const names = def.alias ? [def.name, def.alias] : [def.name];
      for (const name of names) {
        if (this.entries.has(name)) throw new Error(`duplicate config parameter ${name}`);
        const entry = { name, def, isAlias: name !== def.name };
        this.entries.set(name, entry);
        this.defs.set(name, def);
        list.push(entry);
      }
      // Special defaults are written in their stored form already.
      if (def.kind === 'special') {
        this.values.set(def.name, def.default);
        continue;
      }
      const v = parseParam(def, def.multi ? def.default.split(' ') : [def.default], '');
      if (v instanceof Error) throw new Error(`bad default for ${def.name}: ${v.message}`);
      this.values.set(def.name, v);
    }
    this.list = list;
  }

  /** The entry for a name in any case, or undefined. */
  entry(name: string): ConfigEntry | undefined {
    return this.entries.get(name) ?? this.entries.get(name.toLowerCase());
  }

  lookup(name: string): ParamDef | undefined {
    return this.entry(name)?.def;
  }

  raw(name: string): ParamValue {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`unknown config parameter ${name}`);
    return v;
  }

  num(name: string): number {
    return Number(this.raw(name));
  }

  bool(name: string): boolean {
    return this.raw(name) === true;
  }

  /** Text parameters as stored; others as CONFIG GET shows them. */
  str(name: string): string {
    const v = this.raw(name);
    return typeof v === 'string' && !this.defs.get(name)!.render ? v : this.render(this.defs.get(name)!);
  }

  /** The value as CONFIG GET shows it. */
  render(def: ParamDef): string {
    return renderValue(def, this.values.get(def.name)!);
  }

  /** Parses a directive's words against the current value. */
  parse(def: ParamDef, words: string[]): ParamValue | Error {
    return parseParam(def, words, this.values.get(def.name)!);
  }

  /** Stores a value and runs its side effect (dir: chdir); on failure nothing changes. */
  store(def: ParamDef, value: ParamValue): Error | void {
    const err = def.effect?.(value);
    if (err instanceof Error) return err;
    this.values.set(def.name, value);
  }

  /**
   * CONFIG SET semantics for values already parsed: all are stored (with their side effects),
   * then the apply hooks of those that changed run; any failure restores every old value and
   * re-applies it. Returns null, or [the entry name to blame, the reason].
   */
  setMany(server: ConfigTarget | null, pairs: readonly (readonly [ConfigEntry, ParamValue])[]): [string, string] | null {
    // A directive with a side effect is restored from what is in force (dir: the real cwd).
    const old = pairs.map(([{ def }]) => {
      const v = this.values.get(def.name)!;
      return def.effect && def.render ? def.render(v) : v;
    });
    const restore = (upTo: number): void => {
      for (let i = upTo - 1; i >= 0; i--) this.store(pairs[i]![0].def, old[i]!);
    };
    for (let i = 0; i < pairs.length; i++) {
      const [entry, value] = pairs[i]!;
      const err = this.store(entry.def, value);
      if (err instanceof Error) {
        restore(i);
        return [entry.name, err.message];
      }
    }
    if (server) {
      for (let i = 0; i < pairs.length; i++) {
        const [entry, value] = pairs[i]!;
        const def = entry.def;
        if (!def.apply || renderValue(def, value) === renderValue(def, old[i]!)) continue;
        const err = def.apply(server, value, old[i]!);
        if (err instanceof Error) {
          restore(pairs.length);
          for (let j = 0; j < i; j++) pairs[j]![0].def.apply?.(server, old[j]!, pairs[j]![1]);
          return [entry.name, err.message];
        }
      }
      server.applyConfig();
    }
    return null;
  }
}
