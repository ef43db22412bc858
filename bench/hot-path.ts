// Micro-benchmarks of the protocol hot path, without sockets: the request parser on pipelined
// SET/GET batches and the reply writer on the replies they produce. Used to check parser and
// writer changes in isolation before the end-to-end comparison (bench/compare.ts).
//
// Run: npx tsc -p . && node dist/bench/hot-path.js [--seconds 2]

import { parseArgs } from 'node:util';
import { RespParser } from '../src/protocol/resp-parser.js';
import { RespWriter } from '../src/protocol/reply-writer.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' } } });
const SECONDS = Number(values.seconds);

function command(argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('');
}

/** One read's worth of pipelined requests, as redis-benchmark -P 16 sends them. */
function batch(pipeline: number, make: (i: number) => string[]): Buffer {
  let s = '';
  for (let i = 0; i < pipeline; i++) s += command(make(i));
  return Buffer.from(s, 'latin1');
}

function run(name: string, perIteration: number, fn: () => void): void {
  for (let i = 0; i < 20_000; i++) fn();
  let iterations = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  let t = start;
  while (t < deadline) {
    for (let i = 0; i < 1000; i++) fn();
    iterations += 1000;
    t = performance.now();
  }
  const rate = (iterations * perIteration) / ((t - start) / 1000);
  process.stdout.write(`${name.padEnd(34)} ${(rate / 1e6).toFixed(2)} M ops/s\n`);
}

const limits = { maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024, unauthenticated: false };

function parse(name: string, buf: Buffer, pipeline: number): void {
  const parser = new RespParser(limits);
  let sink = 0;
  run(name, pipeline, () => {
    parser.feed(buf);
    let argv;
    while ((argv = parser.next()) !== null) sink += argv.length;
  });
  if (sink === 0) throw new Error('parsed nothing');
}

const key = (i: number) => 'key:' + String(i * 7919).padStart(12, '0');
parse('parse SET x16 (3-byte values)', batch(16, (i) => ['SET', key(i), 'xxx']), 16);
parse('parse GET x16', batch(16, (i) => ['GET', key(i)]), 16);
parse('parse MSET(10 keys) x16', batch(16, (i) => ['MSET', ...Array.from({ length: 10 }, (_, j) => [key(i + j), 'xxx']).flat()]), 16);
parse('parse PING x1', batch(1, () => ['PING']), 1);

const writer = new RespWriter();
run('write +OK x16 + take', 16, () => {
  for (let i = 0; i < 16; i++) writer.ok();
  writer.take();
});
run('write bulk(3) x16 + take', 16, () => {
  for (let i = 0; i < 16; i++) writer.bulk('xxx');
  writer.take();
});
run('write integer x16 + take', 16, () => {
  for (let i = 0; i < 16; i++) writer.integer(100 + i);
  writer.take();
});
