// Helpers for the AOF tests: scratch directories, the commands an AOF directory holds (read with
// the server's own reader, checked against the manifest), and a key-by-key picture of a server's
// data (DUMP payload and remaining TTL per key in every database) to compare two servers with.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import type { RunningServer } from './servers.js';
import { scanAof } from '../../src/persistence/aof/reader.js';
import { parseManifest } from '../../src/persistence/aof/manifest.js';

/** Scratch directories made by this test file, removed when its process exits. */
const scratch: string[] = [];
process.once('exit', () => {
  for (const dir of scratch) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Still mounted, or already gone: left for the system's tmp cleaning.
    }
  }
});

export function scratchDir(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `redoubt-${tag}-`));
  scratch.push(dir);
  return dir;
}

/** The commands of the INCR files of `dir`/appendonlydir, in order (SELECTs included). */
export function incrCommands(dir: string): string[][] {
  const aofDir = path.join(dir, 'appendonlydir');
  const m = parseManifest(fs.readFileSync(path.join(aofDir, 'appendonly.aof.manifest'), 'latin1'));
  const out: string[][] = [];
  for (const f of m.incr) {
    const r = scanAof(fs.readFileSync(path.join(aofDir, f.name)), 0, (argv) => out.push(argv));
    if (!r.ok) throw new Error(`${f.name}: ${r.message} at ${r.offset}`);
  }
  return out;
}

/** The file names the manifest of `dir`/appendonlydir lists, by type. */
export function manifestFiles(dir: string): { base: string | null; incr: string[] } {
  const m = parseManifest(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1'));
  return { base: m.base?.name ?? null, incr: m.incr.map((f) => f.name) };
}

/**
 * Every key of databases 0..`dbs`-1 as `db:key` → DUMP payload (hex) and whether it has a TTL,
 * with the TTL rounded to seconds (two servers are read a moment apart).
 */
export async function dataset(port: number, dbs = 16): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let db = 0; db < dbs; db++) {
    const c = new Redis({ port, db, lazyConnect: true });
    await c.connect();
    try {
      const keys = await c.keysBuffer('*');
      for (const k of keys) {
        const dump = await c.dumpBuffer(k);
        const pttl = await c.pttl(k);
        const ttl = pttl < 0 ? String(pttl) : `~${Math.round(pttl / 10000)}`;
        out.set(`${db}:${k.toString('latin1')}`, `${dump.toString('hex')} ttl=${ttl}`);
      }
    } finally {
      c.disconnect();
    }
  }
  return out;
}

/** Copies a directory tree (the AOF directory into another server's dir). */
export function copyDir(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

/** Servers and clients a test file starts: stopped and closed after its last test. */
export function useTracked(): { readonly started: RunningServer[]; readonly client: (port: number, db?: number) => Redis } {
  const started: RunningServer[] = [];
  const clients: Redis[] = [];
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const s of started) await s.stop();
  });
  return {
    started,
    /** A client that does not reconnect to a server the test stopped. */
    client: (port: number, db = 0): Redis => {
      const c = new Redis({ port, db, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
  };
}

/** Waits until the background rewrite running on `c`'s server is over. */
export async function rewriteDone(c: Redis): Promise<void> {
  while (/aof_rewrite_in_progress:1/.test(await c.info('persistence'))) await new Promise((r) => setTimeout(r, 5));
}
