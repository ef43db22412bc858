// PUBLISH fan-out: one publisher, 100 subscribers of one channel, Redoubt against redis-server in
// one run. Reports messages delivered per second (publishes × subscribers / time until the last
// subscriber has the last message), the ratio, and server CPU µs per delivered message.
//
// Run:   node dist/bench/pubsub-fanout.js [--messages 20000] [--subscribers 100] [--reps 3]
//        [--payloads 16,1024] [--pipelines 1,32]
// Subscribers only count bytes (every frame of one run has the same size), so the client side
// costs little next to the servers; servers alternate first place each repetition, medians shown.

import { parseArgs } from 'node:util';
import net from 'node:net';
import { startRedis, startRedoubt, type RunningServer } from '../test/helpers/servers.js';
import { cpuSeconds } from './memory.js';
import { fmtRate, median, type Name, turnOrder } from './stats.js';
import { connect } from './socket.js';

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    subscribers: { type: 'string', default: '100' },
    reps: { type: 'string', default: '3' },
    payloads: { type: 'string', default: '16,1024' },
    pipelines: { type: 'string', default: '1,32' },
  },
});

const MESSAGES = Number(opts.messages);
const SUBSCRIBERS = Number(opts.subscribers);
const REPS = Number(opts.reps);
const CHANNEL = 'bench:fanout';

const encode = (argv: readonly string[]): string => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** Waits until `bytes` have arrived on `s` (counted from now). */
function received(s: net.Socket, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const onData = (d: Buffer): void => {
      got += d.length;
      if (got >= bytes) {
        s.off('data', onData);
        resolve();
      }
    };
    s.on('data', onData);
  });
}

interface Run {
  readonly deliveredPerSec: number;
  readonly cpuUsPerDelivery: number;
}

async function runOnce(server: RunningServer, payloadSize: number, pipeline: number): Promise<Run> {
  const payload = 'x'.repeat(payloadSize);
  const subs = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => connect(server.port)));
  const pub = await connect(server.port);
  try {
    const confirm = `*3\r\n$9\r\nsubscribe\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n:1\r\n`.length;
    await Promise.all(
      subs.map((s) => {
        const done = received(s, confirm);
        s.write(encode(['SUBSCRIBE', CHANNEL]));
        return done;
      }),
    );
    const frame = `*3\r\n$7\r\nmessage\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n$${payloadSize}\r\n${payload}\r\n`.length;
    const all = subs.map((s) => received(s, frame * MESSAGES));
    const request = encode(['PUBLISH', CHANNEL, payload]);
    const reply = `:${SUBSCRIBERS}\r\n`.length;
    const cpu0 = cpuSeconds(server.process.pid!);
    const start = performance.now();
    // The publisher keeps `pipeline` requests in flight, as a client library with a pipeline would.
    for (let sent = 0; sent < MESSAGES; sent += pipeline) {
      const n = Math.min(pipeline, MESSAGES - sent);
      const replies = received(pub, reply * n);
      pub.write(request.repeat(n));
      await replies;
    }
    await Promise.all(all);
    const seconds = (performance.now() - start) / 1000;
    const deliveries = MESSAGES * SUBSCRIBERS;
    const cpu = cpuSeconds(server.process.pid!) - cpu0;
    return { deliveredPerSec: deliveries / seconds, cpuUsPerDelivery: (cpu / deliveries) * 1e6 };
  } finally {
    for (const s of subs) s.destroy();
    pub.destroy();
  }
}

async function main(): Promise<void> {
  const servers: Record<Name, RunningServer> = { redis: await startRedis(), redoubt: await startRedoubt() };
  const rows: string[] = [];
  try {
    let i = 0;
    for (const pipeline of opts.pipelines.split(',').map(Number)) {
      for (const payload of opts.payloads.split(',').map(Number)) {
        const runs: Record<Name, Run[]> = { redis: [], redoubt: [] };
        for (let rep = 0; rep < REPS; rep++) {
          const order = turnOrder(rep + i);
          for (const name of order) {
            const r = await runOnce(servers[name], payload, pipeline);
            runs[name].push(r);
            process.stderr.write(`P${pipeline} ${payload}B rep ${rep + 1} ${name}: ${fmtRate(r.deliveredPerSec)} msg/s, ${r.cpuUsPerDelivery.toFixed(3)} CPU µs/msg\n`);
          }
        }
        i++;
        const redis = median(runs.redis.map((r) => r.deliveredPerSec));
        const redoubt = median(runs.redoubt.map((r) => r.deliveredPerSec));
        const cpuRedis = median(runs.redis.map((r) => r.cpuUsPerDelivery));
        const cpuRedoubt = median(runs.redoubt.map((r) => r.cpuUsPerDelivery));
        rows.push(
          `| ${SUBSCRIBERS} | ${payload} B | P${pipeline} | ${fmtRate(redis)} | ${fmtRate(redoubt)} | ${(redoubt / redis).toFixed(2)}× | ${cpuRedis.toFixed(3)} | ${cpuRedoubt.toFixed(3)} |`,
        );
      }
    }
  } finally {
    await Promise.all([servers.redis.stop(), servers.redoubt.stop()]);
  }
  process.stdout.write(
    [
      `PUBLISH fan-out: ${fmtRate(MESSAGES)} messages to ${SUBSCRIBERS} subscribers, median of ${REPS}`,
      '',
      '| subscribers | payload | publisher pipeline | Redis msg/s delivered | Redoubt msg/s delivered | Redoubt/Redis | CPU µs/msg Redis | Redoubt |',
      '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
