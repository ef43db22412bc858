// Micro-benchmarks of the Lua runtime behind EVAL: VM start-up and memory, per-call overhead of
// an EVALSHA-style invocation (a small script doing 1-2 redis.call), pure Lua compute, and
// compiling a large script. The candidates that were not chosen (wasmoon, fengari) were measured
// with equivalent scripts outside the project; docs/lua-runtime.md records both sets of numbers.
//
// Run: npx tsc -p . && node dist/bench/lua-runtimes.js [--calls 100000]

import { parseArgs } from 'node:util';
import { LuaEngine } from '../src/scripting/lua-engine.js';
import { RespWriter } from '../src/protocol/reply-writer.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '100000' } } });
const CALLS = Number(values.calls);

/** A tiny in-memory keyspace answering in RESP, standing in for the dispatcher. */
const store = new Map<string, string>();
function call(argv: string[]): string {
  const cmd = argv[0]!.toLowerCase();
  if (cmd === 'set') {
    store.set(argv[1]!, argv[2]!);
    return '+OK\r\n';
  }
  if (cmd === 'get') {
    const v = store.get(argv[1]!);
    return v === undefined ? '$-1\r\n' : `$${v.length}\r\n${v}\r\n`;
  }
  if (cmd === 'incr') {
    const v = Number(store.get(argv[1]!) ?? '0') + 1;
    store.set(argv[1]!, String(v));
    return `:${v}\r\n`;
  }
  return '-ERR unknown command\r\n';
}

function timeIt(label: string, n: number, f: (i: number) => void): void {
  for (let i = 0; i < Math.min(n, 2000); i++) f(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f(i);
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(`${label.padEnd(44)} ${(ns / n).toFixed(0).padStart(8)} ns/op ${Math.round(n / (ns / 1e9)).toLocaleString('en').padStart(12)} op/s`);
}

// Start-up: the first engine pays for compiling the module, later ones only instantiate it.
let t0 = process.hrtime.bigint();
const engine = new LuaEngine({ call, interrupt: () => false });
const first = Number(process.hrtime.bigint() - t0) / 1e6;
t0 = process.hrtime.bigint();
const spare = new LuaEngine({ call });
const second = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`VM start: first ${first.toFixed(1)} ms (module compile), next ${second.toFixed(2)} ms`);
console.log(`VM memory: Lua heap ${spare.memoryUsed()} B, wasm memory reserved ${(spare.memoryReserved() / 1048576).toFixed(1)} MiB`);

const w = new RespWriter();
const drain = (i: number): void => {
  if ((i & 63) === 0) w.take();
};
const script = (src: string): number => {
  const c = engine.compile(src);
  if (!c.ok) throw new Error(c.error);
  return c.ref;
};

const ret1 = script('return 1');
timeIt('EVALSHA return 1', CALLS, (i) => {
  engine.run(ret1, [], [], w, 'sha');
  drain(i);
});
const one = script('return redis.call("incr", KEYS[1])');
timeIt('EVALSHA 1 redis.call (INCR)', CALLS, (i) => {
  engine.run(one, ['counter'], [], w, 'sha');
  drain(i);
});
const two = script('redis.call("set", KEYS[1], ARGV[1]) return redis.call("get", KEYS[1])');
timeIt('EVALSHA 2 redis.call (SET + GET)', CALLS, (i) => {
  engine.run(two, ['k'], [`v${i}`], w, 'sha');
  drain(i);
});
const table = script('local t = {} for i = 1, 10 do t[i] = ARGV[1] .. i end return t');
timeIt('EVALSHA build and return a 10-element table', CALLS, (i) => {
  engine.run(table, [], ['x'], w, 'sha');
  drain(i);
});
const fib = script('local function f(n) if n < 2 then return n end return f(n - 1) + f(n - 2) end return f(25)');
timeIt('fib(25), pure Lua', 20, (i) => {
  engine.run(fib, [], [], w, 'sha');
  drain(i);
});

// A script of the size queue libraries load (tens of KB).
const big = Array.from({ length: 400 }, (_, i) => `local v${i} = redis.call("get", KEYS[1]) if v${i} then v${i} = v${i} .. "${i}" end`).join('\n');
timeIt('compile a 30 KB script', 200, () => {
  const c = engine.compile(`${big}\nreturn 1`);
  if (c.ok) engine.release(c.ref);
});
console.log(`Lua heap after the runs: ${engine.memoryUsed()} B`);
