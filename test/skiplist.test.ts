// The sorted-set skiplist against a plain sorted array under random operations: order, ranks,
// rank lookups and range searches must agree at every step.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SkipList } from '../src/store/skiplist.js';

type Entry = [number, string];
const cmp = (a: Entry, b: Entry): number => (a[0] - b[0]) || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

test('skiplist agrees with a sorted array under random inserts, deletes and score updates', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          op: fc.constantFrom('add', 'del', 'upd'),
          member: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '\x00', '\xff'),
          score: fc.integer({ min: -3, max: 3 }),
        }),
        { maxLength: 200 },
      ),
      (ops) => {
        const sl = new SkipList();
        const scores = new Map<string, number>();
        for (const { op, member, score } of ops) {
          const old = scores.get(member);
          if (op === 'add' && old === undefined) {
            sl.insert(score, member);
            scores.set(member, score);
          } else if (op === 'del' && old !== undefined) {
            assert.equal(sl.delete(old, member), true);
            scores.delete(member);
          } else if (op === 'upd' && old !== undefined) {
            sl.updateScore(member, old, score);
            scores.set(member, score);
          }
          const model: Entry[] = [...scores].map(([m, s]) => [s, m] as Entry).sort(cmp);
          assert.equal(sl.length, model.length);
          assert.deepEqual([...sl].map((n) => [n.score, n.member]), model);
          model.forEach(([s, m], i) => {
            assert.equal(sl.rank(s, m), i + 1);
            assert.equal(sl.byRank(i + 1)?.member, m);
          });
          assert.equal(sl.tail?.member, model[model.length - 1]?.[1]);
          const min = { value: 0, exclusive: true };
          const max = { value: 2, exclusive: false };
          const inRange = model.filter(([s]) => s > 0 && s <= 2);
          assert.equal(sl.firstInRange(min, max)?.member, inRange[0]?.[1]);
          assert.equal(sl.lastInRange(min, max)?.member, inRange[inRange.length - 1]?.[1]);
        }
      },
    ),
    { numRuns: 200, seed: 42 },
  );
});

test('rank of an absent element is 0 and byRank out of range is null', () => {
  const sl = new SkipList();
  sl.insert(1, 'a');
  assert.equal(sl.rank(1, 'b'), 0);
  assert.equal(sl.byRank(0), null);
  assert.equal(sl.byRank(2), null);
  assert.equal(sl.delete(2, 'a'), false);
});

test('score updates on a large list keep order, spans and backward links (nodes of every height reused)', () => {
  const sl = new SkipList();
  const scores = new Map<string, number>();
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    const m = `m${i}`;
    const s = rand(500);
    sl.insert(s, m);
    scores.set(m, s);
  }
  for (let round = 0; round < 20000; round++) {
    const m = `m${rand(3000)}`;
    const old = scores.get(m);
    assert.ok(old !== undefined);
    // Small moves stay in place now and then; large ones relink the node.
    const s = round % 3 === 0 ? old + (rand(3) - 1) / 1000 : rand(500);
    sl.updateScore(m, old, s);
    assert.equal(sl.rank(s, m) > 0, true);
    scores.set(m, s);
  }
  const model: Entry[] = [...scores].map(([m, s]) => [s, m] as Entry).sort(cmp);
  assert.deepEqual([...sl].map((n) => [n.score, n.member]), model);
  const backwards: Entry[] = [];
  for (let n = sl.tail; n !== null; n = n.backward) backwards.push([n.score, n.member]);
  assert.deepEqual(backwards, [...model].reverse());
  for (let i = 0; i < model.length; i += 37) {
    const e = model[i];
    assert.ok(e !== undefined);
    assert.equal(sl.rank(e[0], e[1]), i + 1);
    assert.equal(sl.byRank(i + 1)?.member, e[1]);
  }
});
