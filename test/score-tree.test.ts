// The sorted-set index (ScoreTree, a B+tree counted by subtree sizes) against a plain sorted array
// under random operations: order, ranks, rank lookups and range searches must agree at every step,
// through leaf and internal splits, merges, a shrinking root and back to empty.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScoreTree } from '../src/store/score-tree.js';

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
        const sl = new ScoreTree();
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
  const sl = new ScoreTree();
  sl.insert(1, 'a');
  assert.equal(sl.rank(1, 'b'), 0);
  assert.equal(sl.byRank(0), null);
  assert.equal(sl.byRank(2), null);
  assert.equal(sl.delete(2, 'a'), false);
});

test('score updates on a large set keep order, ranks and backward walks (in place and moved)', () => {
  const sl = new ScoreTree();
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

test('sets that grow to thousands of entries and shrink to none agree with a sorted array', () => {
  let seed = 11;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (const size of [50, 400, 3000, 20000]) {
    const sl = new ScoreTree();
    const scores = new Map<string, number>();
    const steps = size * 8;
    for (let step = 0; step < steps; step++) {
      const m = `k${rand(size)}`;
      const old = scores.get(m);
      const op = rand(10);
      // Grow, then mix, then only delete: the last quarter shrinks the set to a few entries.
      const shrinking = step >= size * 6;
      if (old === undefined) {
        if (!shrinking) {
          const s = rand(size >> 2);
          sl.insert(s, m);
          scores.set(m, s);
        }
      } else if (shrinking || op < 3) {
        assert.equal(sl.delete(old, m), true);
        scores.delete(m);
      } else {
        const s = rand(size >> 2) + (op === 9 ? 0.5 : 0);
        sl.updateScore(m, old, s);
        scores.set(m, s);
      }
      if (step % (size >> 3) !== 0 && step !== steps - 1) continue;
      const model: Entry[] = [...scores].map(([k, s]) => [s, k] as Entry).sort(cmp);
      assert.equal(sl.length, model.length);
      assert.deepEqual([...sl].map((n) => [n.score, n.member]), model);
      const backwards: Entry[] = [];
      for (let n = sl.tail; n !== null; n = n.backward) backwards.push([n.score, n.member]);
      assert.deepEqual(backwards, [...model].reverse());
      for (let q = 0; q < 20 && model.length > 0; q++) {
        const i = rand(model.length);
        const e = model[i];
        assert.ok(e !== undefined);
        assert.equal(sl.rank(e[0], e[1]), i + 1);
        assert.equal(sl.byRank(i + 1)?.member, e[1]);
        assert.equal(sl.byRank(i + 1)?.next0?.member, model[i + 1]?.[1]);
        const lo = rand(size >> 2);
        const hi = lo + rand(20);
        const exclusive = rand(2) === 1;
        const min = { value: lo, exclusive };
        const max = { value: hi, exclusive: !exclusive };
        const inRange = model.filter(([s]) => (exclusive ? s > lo : s >= lo) && (exclusive ? s <= hi : s < hi));
        assert.equal(sl.firstInRange(min, max)?.member, inRange[0]?.[1]);
        assert.equal(sl.lastInRange(min, max)?.member, inRange[inRange.length - 1]?.[1]);
      }
      assert.equal(sl.rank(-5, 'absent'), 0);
    }
    // The rest, then the emptied set takes entries again.
    for (const [m, s] of scores) assert.equal(sl.delete(s, m), true);
    assert.equal(sl.length, 0);
    assert.equal(sl.first, null);
    assert.equal(sl.tail, null);
    sl.insert(1, 'again');
    assert.deepEqual([...sl].map((n) => [n.score, n.member]), [[1, 'again']]);
    assert.equal(sl.rank(1, 'again'), 1);
  }
});

test('lex ranges over thousands of equal scores find their first and last members', () => {
  const sl = new ScoreTree();
  const members: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const m = `m${String((i * 7919) % 100000).padStart(6, '0')}`;
    members.push(m);
    sl.insert(0, m);
  }
  members.sort();
  for (let q = 0; q < 200; q++) {
    const a = `m${String((q * 4999) % 100000).padStart(6, '0')}`;
    const b = `m${String((q * 7727 + 13) % 100000).padStart(6, '0')}`;
    const min = { value: a < b ? a : b, exclusive: q % 2 === 0 };
    const max = { value: a < b ? b : a, exclusive: q % 3 === 0 };
    const inRange = members.filter((m) => (min.exclusive ? m > min.value : m >= min.value) && (max.exclusive ? m < max.value : m <= max.value));
    assert.equal(sl.firstInLexRange(min, max)?.member, inRange[0]);
    assert.equal(sl.lastInLexRange(min, max)?.member, inRange[inRange.length - 1]);
  }
  assert.equal(sl.firstInLexRange({ kind: 'min' }, { kind: 'max' })?.member, members[0]);
  assert.equal(sl.lastInLexRange({ kind: 'min' }, { kind: 'max' })?.member, members[members.length - 1]);
});
