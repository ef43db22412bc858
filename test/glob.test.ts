// Our glob matcher against the real redis-server's: thousands of random patterns and byte strings
// (through KEYS), the case-insensitive variant (through COMMAND LIST FILTERBY PATTERN), the
// nesting cap on pathological patterns, and the corner cases of unterminated sets.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RunningServer } from './helpers/servers.js';
import { globMatch } from '../src/store/glob.js';

let redis: RunningServer;
let cli: Redis;

before(async () => {
  redis = await startRedis();
  cli = new Redis({ port: redis.port, lazyConnect: true, db: 9 });
  await cli.connect();
});
after(async () => {
  cli.disconnect();
  await redis.stop();
});

/** A seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomString(next: () => number, alphabet: string, maxLen: number): string {
  const len = Math.floor(next() * (maxLen + 1));
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(next() * alphabet.length)]!;
  return s;
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const KEY_ALPHABET = 'abAB-\\*[]^\x00\x80\xff';
const PATTERN_ALPHABET = 'abAB*?[]^-\\\x00\x80\xff**[]';

/** Redis's KEYS answers for each pattern, as sorted latin1 strings. */
async function redisKeys(patterns: readonly string[]): Promise<string[][]> {
  const out: string[][] = [];
  for (let i = 0; i < patterns.length; i += 500) {
    const pipe = cli.pipeline();
    for (const p of patterns.slice(i, i + 500)) pipe.callBuffer('KEYS', b(p));
    const res = (await pipe.exec())!;
    for (const [err, keys] of res) {
      assert.equal(err, null);
      out.push((keys as Buffer[]).map((k) => k.toString('latin1')).sort());
    }
  }
  return out;
}

describe('glob matching is identical to Redis', () => {
  test('random patterns over random byte strings', async () => {
    const next = rng(20240601);
    const keys = new Set<string>(['']);
    while (keys.size < 150) keys.add(randomString(next, KEY_ALPHABET, 6));
    await cli.flushdb();
    const pipe = cli.pipeline();
    for (const k of keys) pipe.set(b(k), '1');
    await pipe.exec();
    const patterns: string[] = [];
    for (let i = 0; i < 4000; i++) patterns.push(randomString(next, PATTERN_ALPHABET, 8));
    const expected = await redisKeys(patterns);
    const all = [...keys];
    for (let i = 0; i < patterns.length; i++) {
      const p = patterns[i]!;
      // KEYS answers "*" without matching (the empty key included).
      const ours = all.filter((k) => p === '*' || globMatch(p, k)).sort();
      assert.deepEqual(ours, expected[i], `pattern ${JSON.stringify(p)}`);
    }
  });

  test('hand-picked corner cases', async () => {
    const keys = ['', 'a', 'ab', 'a[b', 'a\\b', 'a]', 'a-', 'a^', '[', ']', '\\', '*', '?', 'A', 'aB', 'a\x00b', '\xff', '\x80'];
    await cli.flushdb();
    for (const k of keys) await cli.set(b(k), '1');
    const patterns = [
      '', '*', '**', '?', '??', '*?', '?*', '[', '[]', '[^', '[^]', '[]]', '[]a]', 'a[', 'a[b', 'a[^', 'a[b-',
      'a[-b]', 'a[b-a]', 'a[\\]', 'a[\\', 'a\\', '\\', '\\\\', '\\*', '\\?', '\\[', '[\\]]', '[\\-]', 'a[a-\\]',
      '[\x00-\xff]', '[\xff-\x00]', '[\x80-\xff]', '[a-\xff]', '[^\x00-a]', 'a\x00*', '*\x00*', '*[', '*[*',
      'a*b', 'a**b', '*a*b*', 'A*', '[A-Z]', '[a-z]', '[!a]', 'a[]b', 'a[]]b', '\\a\\b', 'a[\\b]', 'a[^\\b]',
    ];
    const expected = await redisKeys(patterns);
    for (let i = 0; i < patterns.length; i++) {
      const p = patterns[i]!;
      const ours = keys.filter((k) => p === '*' || globMatch(p, k)).sort();
      assert.deepEqual(ours, expected[i], `pattern ${JSON.stringify(p)}`);
    }
  });

  test('the nesting cap on * matches Redis exactly', async () => {
    const key = 'a'.repeat(1100);
    await cli.flushdb();
    await cli.set(key, '1');
    for (const n of [998, 999, 1000, 1001, 1002]) {
      const p = '*a'.repeat(n);
      const ours = globMatch(p, key);
      const theirs = (await cli.keys(p)).length === 1;
      assert.equal(ours, theirs, `${n} nested stars`);
    }
    assert.equal(globMatch('*a'.repeat(1000), key), true);
    assert.equal(globMatch('*a'.repeat(1001), key), false);
    // Runs of stars collapse: they are not nesting.
    assert.equal(globMatch('*'.repeat(100000) + 'a', key), true);
  });

  test('pathological patterns finish quickly', () => {
    const s = 'a'.repeat(5000);
    const start = performance.now();
    assert.equal(globMatch('a*'.repeat(200) + 'b', s), false);
    assert.equal(globMatch('*a'.repeat(500) + '*b', s), false);
    assert.ok(performance.now() - start < 2000, 'matching took too long');
  });

  test('case-insensitive variant, against COMMAND LIST FILTERBY PATTERN', async () => {
    const names = (await cli.call('COMMAND', 'LIST')) as string[];
    assert.ok(names.length > 100);
    const next = rng(77);
    const alphabet = 'cONfigSETaelx*?[]^-\\|*';
    const patterns: string[] = [];
    for (let i = 0; i < 600; i++) patterns.push(randomString(next, alphabet, 6));
    patterns.push('[A-C]*', '[a-c]*', '[Z-A]*', '*[^A-Y]', 'C*', 'c?', '*|*');
    const pipe = cli.pipeline();
    for (const p of patterns) pipe.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', p);
    const res = (await pipe.exec())!;
    for (let i = 0; i < patterns.length; i++) {
      const p = patterns[i]!;
      const [err, theirs] = res[i]!;
      assert.equal(err, null);
      const ours = names.filter((n) => globMatch(p, n, true)).sort();
      assert.deepEqual(ours, (theirs as string[]).sort(), `pattern ${JSON.stringify(p)}`);
    }
  });

  test('case-insensitive ranges compare lower-cased bounds', () => {
    assert.equal(globMatch('[A-C]', 'b', true), true);
    assert.equal(globMatch('[a-c]', 'B', true), true);
    assert.equal(globMatch('[A-C]', 'b', false), false);
    assert.equal(globMatch('HELLO', 'hello', true), true);
    assert.equal(globMatch('HELLO', 'hello', false), false);
  });
});
