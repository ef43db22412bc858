// Property-based differential tests: fast-check generates random command sequences over a tiny key
// and value space (so commands collide on the same keys), runs each sequence on the real
// redis-server and on Redoubt after FLUSHALL, and requires byte-identical replies in RESP2 and RESP3.
// Replay a failure with PROPERTY_SEED=<seed> (and PROPERTY_PATH=<path> to jump to the shrunk case).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { useServerPair } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 100);
const MAX_COMMANDS = 30;
const SEED = process.env['PROPERTY_SEED'] === 'random' ? Date.now() % 2 ** 31 : Number(process.env['PROPERTY_SEED'] ?? 20240611);
const PATH = process.env['PROPERTY_PATH'];

// --- the generated language ---

const key = fc.constantFrom('k0', 'k1', 'k2', 'k3', 'k4', '\x00k\xff');
const value = fc.constantFrom(
  '', 'a', 'abc', 'hello world', '0', '1', '-1', '42', '10', '007', ' 1', '1 ', '+5', '3.5', '-0.25', '1e3', 'inf', 'nan',
  '9223372036854775807', '-9223372036854775808', '9223372036854775808', '12345678901234567890', '\x00\xff\r\n',
  'x'.repeat(45), 'y'.repeat(200),
);
const integer = fc.constantFrom('0', '1', '-1', '5', '-7', '100', '9223372036854775807', '-9223372036854775808', 'abc', '1.5', '');
const float = fc.constantFrom('0', '1.5', '-0.25', '10', '1e2', '3.0e-2', '-inf', 'abc', '0.1', '5e-324');
const offset = fc.constantFrom('0', '1', '3', '7', '20', '-1', '-3', '-100', '100', 'x');
const db = fc.constantFrom('0', '1', '2');
/** TTLs long enough that nothing expires during a run, so TTL replies are deterministic. */
const seconds = fc.constantFrom('100000', '200000', '0', '-5', 'abc');

const opt = <T>(a: fc.Arbitrary<T[]>): fc.Arbitrary<T[]> => fc.oneof(fc.constant([] as T[]), a);
const setExpiry = fc.constantFrom<string[]>([], ['EX', '100000'], ['PX', '100000000'], ['KEEPTTL'], ['EX', '0'], ['EX', 'abc'], ['PX', '-1']);
const setCondition = fc.constantFrom<string[]>([], ['NX'], ['XX']);
const setGet = fc.constantFrom<string[]>([], ['GET']);

const stringCommand: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(key, value, setCondition, setGet, setExpiry).map(([k, v, c, g, e]) => ['SET', k, v, ...c, ...g, ...e]),
  key.map((k) => ['GET', k]),
  fc.tuple(key, value).map(([k, v]) => ['SETNX', k, v]),
  fc.tuple(key, seconds, value).map(([k, s, v]) => ['SETEX', k, s, v]),
  fc.tuple(key, value).map(([k, v]) => ['GETSET', k, v]),
  key.map((k) => ['GETDEL', k]),
  fc.tuple(key, fc.constantFrom<string[]>([], ['EX', '100000'], ['PERSIST'], ['PX', '0'])).map(([k, o]) => ['GETEX', k, ...o]),
  fc.tuple(key, value).map(([k, v]) => ['APPEND', k, v]),
  key.map((k) => ['INCR', k]),
  key.map((k) => ['DECR', k]),
  fc.tuple(key, integer).map(([k, n]) => ['INCRBY', k, n]),
  fc.tuple(key, integer).map(([k, n]) => ['DECRBY', k, n]),
  fc.tuple(key, float).map(([k, n]) => ['INCRBYFLOAT', k, n]),
  fc.tuple(key, offset, value).map(([k, o, v]) => ['SETRANGE', k, o, v]),
  fc.tuple(key, offset, offset).map(([k, s, e]) => ['GETRANGE', k, s, e]),
  key.map((k) => ['STRLEN', k]),
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((kv) => ['MSET', ...kv.flat()]),
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((kv) => ['MSETNX', ...kv.flat()]),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => ['MGET', ...ks]),
  // Writes that leave a string raw whatever its content (Redis unshares it first).
  fc.tuple(key, offset, fc.constantFrom('0', '1')).map(([k, o, b]) => ['SETBIT', k, o, b]),
  fc.tuple(key, fc.constantFrom<string[]>(['GET', 'u8', '0'], ['SET', 'u8', '0', '49'], ['INCRBY', 'i8', '8', '1'])).map(([k, o]) => ['BITFIELD', k, ...o]),
  fc.tuple(key, key).map(([a, b]) => ['BITOP', 'OR', a, b]),
  fc.tuple(key, value).map(([k, v]) => ['PFADD', k, v]),
  key.map((k) => ['PFCOUNT', k]),
);

const keyspaceCommand: fc.Arbitrary<string[]> = fc.oneof(
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['DEL', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['UNLINK', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['EXISTS', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['TOUCH', ...ks]),
  key.map((k) => ['TYPE', k]),
  fc.tuple(key, key).map(([a, b]) => ['RENAME', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['RENAMENX', a, b]),
  fc.tuple(key, key, opt(db.map((d) => ['DB', d])), opt(fc.constant(['REPLACE']))).map(([a, b, d, r]) => ['COPY', a, b, ...d, ...r]),
  key.map((k) => ['PERSIST', k]),
  fc.tuple(key, seconds, fc.constantFrom<string[]>([], ['NX'], ['XX'], ['GT'], ['LT'], ['NX', 'XX'])).map(([k, s, o]) => ['EXPIRE', k, s, ...o]),
  key.map((k) => ['TTL', k]),
  fc.constant<string[]>(['DBSIZE']),
  db.map((d) => ['SELECT', d]),
  fc.tuple(key, db).map(([k, d]) => ['MOVE', k, d]),
  fc.tuple(db, db).map(([a, b]) => ['SWAPDB', a, b]),
  fc.tuple(key, fc.constantFrom('f', 'g'), value).map(([k, f, v]) => ['HSET', k, f, v]),
);

/** How a value is held depends on the commands that wrote it, so sequences look at it often. */
const inspectCommand: fc.Arbitrary<string[]> = fc.tuple(fc.constantFrom('ENCODING', 'REFCOUNT'), key).map(([sub, k]) => ['OBJECT', sub, k]);

const command = fc.oneof(
  { arbitrary: stringCommand, weight: 3 },
  { arbitrary: keyspaceCommand, weight: 2 },
  { arbitrary: inspectCommand, weight: 1 },
);
const sequence = fc.array(command, { minLength: 1, maxLength: MAX_COMMANDS });

// --- running a sequence on both servers ---

const { redis, redoubt } = useServerPair();

const show = (argv: readonly string[]): string => argv.map((a) => JSON.stringify(a)).join(' ');

/**
 * Runs the sequence pipelined on a fresh connection (so a failed run cannot leave stale replies
 * behind for the next one) and returns each reply as a latin1 string.
 */
async function run(port: number, resp: 2 | 3, cmds: readonly string[][]): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const setup = [['FLUSHALL'], ...(resp === 3 ? [['HELLO', '3']] : [])];
    c.write(Buffer.concat([...setup, ...cmds].map((a) => RawClient.encode(a))));
    const replies: string[] = [];
    for (let i = 0; i < setup.length + cmds.length; i++) {
      const r = await c.read(3000);
      if (r === null) throw new Error(`connection closed after ${replies.length - setup.length} replies`);
      replies.push(r.toString('latin1'));
    }
    return replies.slice(setup.length);
  } finally {
    c.close();
  }
}

for (const resp of [2, 3] as const) {
  describe(`random string and keyspace sequences, RESP${resp}`, () => {
    test(`${RUNS} runs of up to ${MAX_COMMANDS} commands (seed ${SEED})`, async () => {
      const property = fc.asyncProperty(sequence, async (cmds) => {
        const [expected, actual] = await Promise.all([run(redis.port, resp, cmds), run(redoubt.port, resp, cmds)]);
        for (let i = 0; i < cmds.length; i++) {
          if (actual[i] !== expected[i]) {
            const history = cmds.slice(0, i + 1).map((a, j) => `  ${j === i ? '>' : ' '} ${show(a)}  ->  ${JSON.stringify(expected[j])}`);
            assert.fail(
              `RESP${resp}: reply ${i + 1} differs\n${history.join('\n')}\n  redis:   ${JSON.stringify(expected[i])}\n  redoubt: ${JSON.stringify(actual[i])}`,
            );
          }
        }
      });
      // Bounded even when every run fails slowly (a server that stops answering): shrinking stops
      // at the time limit and the failure found so far is reported; runs cut short by the limit
      // before any failure make fc.check throw.
      const result = await fc.check(property, {
        seed: SEED,
        numRuns: RUNS,
        ...(PATH === undefined ? {} : { path: PATH }),
        plugins: [fc.interruptAfterTimeLimit(60000, { failOnInterrupt: true })],
      });
      if (result.failed) {
        const cause = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        assert.fail(
          `Property failed after ${result.numRuns} runs, shrunk ${result.numShrinks} times${result.interrupted ? ' (interrupted at the time limit)' : ''}.\n${cause}\n` +
            `Replay: PROPERTY_SEED=${result.seed} PROPERTY_PATH=${result.counterexamplePath ?? ''} node --test dist/test/property.test.js`,
        );
      }
    });
  });
}
