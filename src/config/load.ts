// Building the startup configuration: defaults, then the config file, then `--directive value`
// flags, each directive validated by the parameter table.

import { readFileSync } from 'node:fs';
import { Config, parseParam } from './config.js';
import { splitArgs } from '../protocol/resp-parser.js';

export class StartupConfigError extends Error {}

/** Applies one directive (name plus value words); throws StartupConfigError with Redis's reason. */
export function applyDirective(config: Config, name: string, words: string[], where: string): void {
  const def = config.lookup(name);
  if (!def) throw new StartupConfigError(`${where}: Bad directive or wrong number of arguments: '${name}'`);
  const v = parseParam(def, words.length === 0 ? [''] : words);
  if (v instanceof Error) throw new StartupConfigError(`${where}: '${name}': ${v.message}`);
  config.store(def, v);
  config.explicitlySet.add(def.name);
}

/** Reads a redis.conf-format file into `config`. */
export function loadConfigFile(config: Config, path: string): void {
  const text = readFileSync(path, 'latin1');
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = splitArgs(line);
    const where = `${path}:${i + 1}`;
    if (words === null) throw new StartupConfigError(`${where}: Unbalanced quotes in configuration line`);
    if (words.length === 0) continue;
    applyDirective(config, words[0]!.toLowerCase(), words.slice(1), where);
  }
}
