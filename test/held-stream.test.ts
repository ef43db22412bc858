// The stream held for a replica during its full sync: what goes in comes out whole and in order,
// in chunks of about a megabyte however small the pieces were.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeldStream } from '../src/server/held-stream.js';

test('small, chunk-sized and larger pieces come out in order, joined into few chunks', () => {
  const held = new HeldStream();
  const pieces: Buffer[] = [];
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 200_000; i++) {
    // Mostly small batches of effects, now and then one large value (up to 3 MB).
    const size = i % 50_000 === 49_999 ? 1 + random(3 << 20) : 1 + random(60);
    const b = Buffer.alloc(size, i % 251);
    pieces.push(b);
    held.append(b);
  }
  const out = held.take();
  assert.deepEqual(Buffer.concat(out), Buffer.concat(pieces));
  assert.ok(out.length < 40, `${out.length} chunks for ${pieces.length} pieces`);
  assert.deepEqual(held.take(), [], 'taking empties it');
  held.append(Buffer.from('after'));
  assert.deepEqual(Buffer.concat(held.take()).toString(), 'after', 'it is usable again');
});
