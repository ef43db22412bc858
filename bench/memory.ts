// Memory per key: writes exactly the same keys and values into a server with pipelined SETs over
// one connection and reads the process's resident set size from /proc, so both servers are
// measured the same way (RSS growth, allocator and heap overheads included).

import net from 'node:net';
import { readFileSync } from 'node:fs';

/** Resident set size of a process in bytes (VmRSS from /proc/<pid>/status). */
export function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** CPU time a process has used so far, all threads, user and system, in seconds (/proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

/** `key:000000123` for i = 123: fixed-width names, as deterministic as the values. */
export function keyName(i: number): string {
  return 'key:' + String(i).padStart(9, '0');
}

function setCommand(key: string, value: string): string {
  return `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
}

function getCommand(key: string): string {
  return `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`;
}

/**
 * Sends SET name(i) value for i in [from, count), `batch` at a time, waiting for each batch's
 * replies. Throws unless every reply is +OK.
 */
export function loadKeys(port: number, count: number, value: string, from = 0, name: (i: number) => string = keyName): Promise<void> {
  return pipelined(port, count, (i) => setCommand(name(i), value), '+OK\r\n', 10_000, from);
}

/**
 * The same traffic without storing anything: GETs of the keys loadKeys will write, before they
 * exist. Run first, it brings both servers to their working size for this load (buffers, and
 * V8's young generation), so that the RSS growth that follows is the keys' own.
 */
export function warmUp(port: number, count: number): Promise<void> {
  return pipelined(port, count, (i) => getCommand(keyName(i)), '$-1\r\n');
}

/** Sends command(i) for i in [0, count) in batches, and checks that every reply is `reply`. */
async function pipelined(port: number, count: number, command: (i: number) => string, reply: string, batch = 10_000, from = 0): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  const first = reply.charCodeAt(0);
  const size = reply.length;
  let received = 0;
  let expected = 0;
  let bad = '';
  let wake: (() => void) | null = null;
  socket.on('data', (d: Buffer) => {
    // A well-behaved reply stream is `reply` repeated; anything else is kept for the error.
    if (bad === '' && d[0] !== first && received % size === 0) bad = d.subarray(0, 200).toString('latin1');
    received += d.length;
    if (received >= expected && wake) {
      const w = wake;
      wake = null;
      w();
    }
  });
  try {
    for (let start = from; start < count; start += batch) {
      const end = Math.min(count, start + batch);
      let text = '';
      for (let i = start; i < end; i++) text += command(i);
      expected += (end - start) * size;
      const done = new Promise<void>((resolve) => (wake = resolve));
      socket.write(text, 'latin1');
      await done;
      if (bad !== '') throw new Error(`unexpected reply while loading: ${JSON.stringify(bad)}`);
    }
    if (received !== expected) throw new Error(`expected ${expected} reply bytes, got ${received}`);
  } finally {
    socket.destroy();
  }
}
