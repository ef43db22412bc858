// Reading differential corpus files (test/corpus/*.redis). Format, one command a line in
// redis-cli quoting:
//   # comment
//   ### case title            starts a case; each case runs on a fresh connection after FLUSHALL
//   SET k v                   a command; its reply must be byte-identical on Redis and Redoubt
//   ~ RANDOMKEY               compare only the reply's type byte (non-deterministic replies)
//   ~1 OBJECT IDLETIME k      integers (alone or in arrays) may differ by one (a second boundary
//                             between the two servers' clocks); everything else must be identical
//   @sleep 1100               wait, e.g. for a key to expire
//   @resp 2                   run this case in RESP2 only (or 3); by default it runs in both
//   @reference valkey         compare with valkey-server 8.0 (Redis 7.2's behaviour), or with
//   @reference redis8         Redis 8.0 (hash-field expiration), instead of redis-server 7.0: in a
//                             case for that case, before the first case for every case of the file

import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { splitArgs } from '../../src/protocol/resp-parser.js';

export type Step =
  | {
      readonly kind: 'command';
      readonly argv: string[];
      /** How replies compare: byte for byte, by type byte only, or as integers within one. */
      readonly match: 'exact' | 'type' | 'within1';
      readonly line: number;
      readonly text: string;
    }
  | { readonly kind: 'sleep'; readonly ms: number };

/** The real server a case is compared with. */
export type Reference = 'redis' | 'valkey' | 'redis8';

export interface Case {
  readonly file: string;
  readonly title: string;
  readonly steps: Step[];
  readonly resp: readonly (2 | 3)[];
  readonly reference: Reference;
}

/** test/corpus as seen from dist/test/helpers. */
export const CORPUS_DIR = fileURLToPath(new URL('../../../test/corpus/', import.meta.url));

export function parseCorpus(file: string, text: string): Case[] {
  const cases: Case[] = [];
  let current: { title: string; steps: Step[]; resp: (2 | 3)[]; reference: Reference } | null = null;
  let fileReference: Reference = 'redis';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || (line.startsWith('#') && !line.startsWith('###'))) continue;
    if (line.startsWith('@reference ')) {
      const ref = line.slice(11).trim();
      if (ref !== 'redis' && ref !== 'valkey' && ref !== 'redis8') throw new Error(`${file}:${i + 1}: unknown reference ${ref}`);
      if (current === null) fileReference = ref;
      else current.reference = ref;
      continue;
    }
    if (line.startsWith('###')) {
      const c: { title: string; steps: Step[]; resp: (2 | 3)[]; reference: Reference } = { title: line.slice(3).trim(), steps: [], resp: [2, 3], reference: fileReference };
      current = c;
      cases.push({ file, title: c.title, steps: c.steps, get resp() { return c.resp; }, get reference() { return c.reference; } });
      continue;
    }
    if (current === null) throw new Error(`${file}:${i + 1}: command before the first ### case`);
    if (line.startsWith('@sleep ')) {
      current.steps.push({ kind: 'sleep', ms: Number(line.slice(7)) });
      continue;
    }
    if (line.startsWith('@resp ')) {
      current.resp = [Number(line.slice(6)) as 2 | 3];
      continue;
    }
    const match = line.startsWith('~ ') ? 'type' : line.startsWith('~1 ') ? 'within1' : 'exact';
    const argv = splitArgs(match === 'exact' ? line : line.slice(line.indexOf(' ') + 1));
    if (argv === null || argv.length === 0) throw new Error(`${file}:${i + 1}: cannot split ${line}`);
    current.steps.push({ kind: 'command', argv, match, line: i + 1, text: line });
  }
  return cases;
}

export function loadCorpus(dir = CORPUS_DIR): Case[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.redis')).sort();
  return files.flatMap((f) => parseCorpus(f, readFileSync(join(dir, f), 'latin1')));
}
