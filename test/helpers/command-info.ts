// A family's table rows and redis-server's COMMAND INFO replies (as ioredis returns them) brought
// to one comparable shape: name, arity, flags, ACL categories, tips, key specs, subcommands.

import type { CommandSpec, KeySpec } from '../../src/commands/spec.js';

/**
 * Commands whose COMMAND INFO / COMMAND DOCS follow Redis 7.2 (checked against valkey-server 8.0
 * instead of redis-server 7.0): ZRANK/ZREVRANK took WITHSCORE (arity -3), QUIT became deprecated.
 */
export const METADATA_OF_72: ReadonlySet<string> = new Set(['zrank', 'zrevrank', 'quit']);

/** One COMMAND INFO entry as ioredis parses it. */
export type Info = [string, number, string[], number, number, number, string[], string[], unknown[], Info[]];

export interface NormalInfo {
  name: string;
  arity: number;
  flags: string[];
  acl: string[];
  tips: string[];
  keys: unknown[];
  subs: NormalInfo[];
}

function normalKeySpec(k: KeySpec): unknown {
  const begin = 'index' in k.begin ? ['index', k.begin.index] : ['unknown'];
  const find = 'range' in k.find ? ['range', k.find.range.lastKey, k.find.range.keyStep, k.find.range.limit] : ['other'];
  return { flags: [...k.flags].sort(), begin, find };
}

const byName = (a: NormalInfo, b: NormalInfo): number => a.name.localeCompare(b.name);

/** Our table row (with its subcommands) in the comparable shape. */
export function rowInfo(spec: CommandSpec, parent = ''): NormalInfo {
  return {
    name: parent ? `${parent}|${spec.name}` : spec.name,
    arity: spec.arity,
    flags: [...spec.flags].sort(),
    acl: spec.acl.map((a) => `@${a}`).sort(),
    tips: [...(spec.tips ?? [])].sort(),
    keys: spec.keys.map(normalKeySpec),
    subs: (spec.subcommands ?? []).map((s) => rowInfo(s, spec.name)).sort(byName),
  };
}

/** A flat [k1, v1, k2, v2...] reply as an object. */
function pairs(a: unknown): Record<string, unknown> {
  const arr = a as unknown[];
  const o: Record<string, unknown> = {};
  for (let i = 0; i < arr.length; i += 2) o[String(arr[i])] = arr[i + 1];
  return o;
}

/** redis-server's COMMAND INFO entry in the comparable shape (subcommands sorted: Redis lists them in hash order). */
export function serverInfo(info: Info): NormalInfo {
  const keys = info[8].map((raw) => {
    const k = pairs(raw);
    const begin = pairs(k['begin_search']);
    const find = pairs(k['find_keys']);
    const bspec = pairs(begin['spec']);
    const fspec = pairs(find['spec']);
    return {
      flags: (k['flags'] as string[]).map((f) => f.toUpperCase()).sort(),
      begin: begin['type'] === 'index' ? ['index', bspec['index']] : ['unknown'],
      find: find['type'] === 'range' ? ['range', fspec['lastkey'], fspec['keystep'], fspec['limit']] : ['other'],
    };
  });
  return {
    name: info[0],
    arity: info[1],
    flags: [...info[2]].sort(),
    acl: [...info[6]].sort(),
    tips: [...info[7]].sort(),
    keys,
    subs: info[9].map(serverInfo).sort(byName),
  };
}
