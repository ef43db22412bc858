// The live configuration: values of every parameter in the table, parsed and validated by kind
// with Redis's own error wording, set atomically (all or nothing) and applied through each
// parameter's hooks.

import { parameters, type ParamName } from './parameters.js';
import { parseEnum, parseNumber, renderValue } from './values.js';
import { ConfigError, type ConfigTarget, type ParamDef, type ParamValue } from './types.js';

/** A name the configuration answers to: a parameter's own name or its alias (Redis registers both). */
export interface ConfigEntry {
  readonly name: string;
  readonly def: ParamDef;
  readonly isAlias: boolean;
}

/** Parses the words of one directive into its stored value, or an Error with Redis's text. */
function parseParam(def: ParamDef, words: string[], current: ParamValue): ParamValue | Error {
  if (!def.multi && words.length !== 1) return new ConfigError('wrong number of arguments');
  // The one word of a single-word kind (never multi, so the check above leaves exactly one).
  const first = words[0] ?? '';
  let value: ParamValue | Error;
  switch (def.kind) {
    case 'bool': {
      const v = first.toLowerCase();
      value = v === 'yes' ? true : v === 'no' ? false : new ConfigError("argument must be 'yes' or 'no'");
      break;
    }
    case 'int':
    case 'memory':
      value = parseNumber(def, first);
      break;
    case 'enum':
      value = parseEnum(def, words);
      break;
    case 'string':
      value = first;
      break;
    case 'special':
      if (!def.parse) throw new Error(`config parameter ${def.name} is special but has no parse`);
      value = def.parse(words, current);
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

  /** A parameter's value as stored; its name is checked when compiling. */
  raw(name: ParamName): ParamValue {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`unknown config parameter ${name}`);
    return v;
  }

  num(name: ParamName): number {
    return Number(this.raw(name));
  }

  bool(name: ParamName): boolean {
    return this.raw(name) === true;
  }

  /** Text parameters as stored; others as CONFIG GET shows them. */
  str(name: ParamName): string {
    const def = this.defs.get(name);
    if (def === undefined) throw new Error(`unknown config parameter ${name}`);
    const v = this.current(def);
    return typeof v === 'string' && !def.render ? v : renderValue(def, v);
  }

  /** How CONFIG GET would show `value` for this parameter. */
  renderOf(def: ParamDef, value: ParamValue): string {
    return renderValue(def, value);
  }

  /** The stored value of a parameter of the table (every one has a value from the start). */
  current(def: ParamDef): ParamValue {
    const v = this.values.get(def.name);
    if (v === undefined) throw new Error(`unknown config parameter ${def.name}`);
    return v;
  }

  /** The value as CONFIG GET shows it. */
  render(def: ParamDef): string {
    return renderValue(def, this.current(def));
  }

  /** Parses a directive's words against the current value. */
  parse(def: ParamDef, words: string[]): ParamValue | Error {
    return parseParam(def, words, this.current(def));
  }

  /** Stores a value and runs its side effect (dir: chdir); on failure nothing changes. */
  store(def: ParamDef, value: ParamValue): Error | undefined {
    const err = def.effect?.(value);
    if (err instanceof Error) return err;
    this.values.set(def.name, value);
    return undefined;
  }

  /**
   * CONFIG SET semantics for values already parsed: all are stored (with their side effects),
   * then the apply hooks of those that changed run; any failure restores every old value and
   * re-applies it. Returns null, or [the entry name to blame, the reason].
   */
  setMany(server: ConfigTarget | null, pairs: readonly (readonly [ConfigEntry, ParamValue])[]): [string, string] | null {
    // A directive with a side effect is restored from what is in force (dir: the real cwd).
    const changes = pairs.map(([entry, value]) => {
      const v = this.current(entry.def);
      return { entry, value, old: entry.def.effect && entry.def.render ? entry.def.render(v) : v };
    });
    const restore = (upTo: number): void => {
      for (const { entry, old } of changes.slice(0, upTo).reverse()) this.store(entry.def, old);
    };
    for (const [i, { entry, value }] of changes.entries()) {
      const err = this.store(entry.def, value);
      if (err instanceof Error) {
        restore(i);
        return [entry.name, err.message];
      }
    }
    if (server) {
      for (const [i, { entry, value, old }] of changes.entries()) {
        const def = entry.def;
        if (!def.apply || renderValue(def, value) === renderValue(def, old)) continue;
        const err = def.apply(server, value, old);
        if (err instanceof Error) {
          restore(changes.length);
          for (const done of changes.slice(0, i)) done.entry.def.apply?.(server, done.old, done.value);
          return [entry.name, err.message];
        }
      }
      server.applyConfig();
    }
    return null;
  }
}
