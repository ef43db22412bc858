// The list ring buffer against a plain array under random operations.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Deque } from '../src/store/deque.js';

test('deque agrees with an array under random pushes, pops, inserts, removals and trims', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('pushBack' as const), v: fc.integer() }),
    fc.record({ k: fc.constant('pushFront' as const), v: fc.integer() }),
    fc.record({ k: fc.constant('popFront' as const) }),
    fc.record({ k: fc.constant('popBack' as const) }),
    fc.record({ k: fc.constant('insertAt' as const), i: fc.nat(40), v: fc.integer() }),
    fc.record({ k: fc.constant('removeAt' as const), i: fc.nat(40) }),
    fc.record({ k: fc.constant('keep' as const), s: fc.nat(10), e: fc.nat(40) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const d = new Deque<number>(1);
      const a: number[] = [];
      for (const o of ops) {
        switch (o.k) {
          case 'pushBack': d.pushBack(o.v); a.push(o.v); break;
          case 'pushFront': d.pushFront(o.v); a.unshift(o.v); break;
          case 'popFront': assert.equal(d.popFront(), a.shift()); break;
          case 'popBack': assert.equal(d.popBack(), a.pop()); break;
          case 'insertAt': {
            const i = Math.min(o.i, a.length);
            d.insertAt(i, o.v);
            a.splice(i, 0, o.v);
            break;
          }
          case 'removeAt': {
            const expected = o.i < a.length ? a.splice(o.i, 1)[0] : undefined;
            assert.equal(d.removeAt(o.i), expected);
            break;
          }
          case 'keep': {
            d.keep(o.s, o.e);
            a.splice(0, a.length, ...a.slice(o.s, Math.max(o.s, o.e)));
            break;
          }
        }
        assert.equal(d.length, a.length);
        assert.deepEqual([...d], a);
        for (let i = 0; i < a.length; i++) assert.equal(d.at(i), a[i]);
      }
    }),
    { numRuns: 300, seed: 7 },
  );
});
