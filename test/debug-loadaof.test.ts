// DEBUG LOADAOF against redis-server 7.0: the dataset is emptied and read back from the AOF, so
// the same writes give the same digest before and after, on both servers.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, startRedoubt } from './helpers/servers.js';

describe('DEBUG LOADAOF', () => {
  test('reloads the AOF written so far: the same digest before and after, as redis-server', async () => {
    const seen: Record<string, unknown[]> = {};
    for (const [name, start] of [['redis', startRedis], ['redoubt', startRedoubt]] as const) {
      const dir = mkdtempSync(path.join(tmpdir(), 'redoubt-loadaof-'));
      const s = await start(['--dir', dir, '--appendonly', 'yes', '--enable-debug-command', 'yes']);
      const c = new Redis({ port: s.port, host: s.host });
      try {
        await c.set('s', 'v');
        await c.rpush('l', 'a', 'b', 'c');
        await c.hset('h', 'f', '1', 'g', '2');
        await c.zadd('z', '1.5', 'm');
        await c.sadd('set', 'x', 'y');
        await c.set('ttl', 'v', 'EX', '1000');
        await c.incrbyfloat('f', '1.25');
        await c.select(2);
        await c.set('in2', 'x');
        await c.select(0);
        const before = await c.call('DEBUG', 'DIGEST');
        const out: unknown[] = [before, await c.call('DEBUG', 'LOADAOF'), await c.call('DEBUG', 'DIGEST'), await c.dbsize()];
        assert.equal(out[2], before, `${name}: same dataset after LOADAOF`);
        seen[name] = out;
      } finally {
        c.disconnect();
        await s.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.deepEqual(seen['redoubt'], seen['redis']);
  });
});
