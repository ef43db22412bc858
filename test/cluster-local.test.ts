// `redoubt cluster-local`: N nodes on this machine as one Redis Cluster from one command. Real
// processes on loopback ports: three shards built by the command, ioredis Cluster writing and
// reading a key in every one of the 16384 slots, redis-cli --cluster check, SIGTERM stopping every
// node, a restart on the same directory coming back with the same node ids and data, a node killed
// and reported; a password with replicas (masterauth); and refused arguments that start nothing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { freePortRange, REDOUBT_MAIN } from './helpers/servers.js';
import { RawClient, command as cmd } from './helpers/raw-client.js';
import { until } from './helpers/workload-target.js';
import { keyHashSlot } from '../src/server/cluster.js';
import { Config } from '../src/config/config.js';
import { ConfigLoader } from '../src/config/config-file.js';
import { processAlive } from '../src/server/cluster-lock.js';

const exec = promisify(execFile);

interface Shown {
  readonly port: number;
  readonly id: string;
  readonly pid: number;
  readonly role: string;
}

interface Supervisor {
  readonly child: ChildProcess;
  output(): string;
  readonly exit: Promise<number | null>;
}

const supervisors: Supervisor[] = [];
const scratchDirs: string[] = [];

/** A fresh directory, removed when the file's tests are done. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-local-'));
  scratchDirs.push(dir);
  return dir;
}
const pids = new Set<number>();

/** Runs `redoubt cluster-local ...args`. */
function startLocal(args: string[]): Supervisor {
  const child = spawn(process.execPath, [REDOUBT_MAIN, 'cluster-local', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const s = { child, output: () => out, exit };
  supervisors.push(s);
  return s;
}

/** Waits for "ready" and returns the node table the command printed. */
async function ready(s: Supervisor, ms = 120_000): Promise<Shown[]> {
  let exited = false;
  void s.exit.then(() => (exited = true));
  await until('cluster-local to be ready', () => {
    if (exited) throw new Error(`cluster-local exited before it was ready:\n${s.output()}`);
    return s.output().includes('ready; Ctrl-C');
  }, ms);
  const shown: Shown[] = [];
  for (const m of s.output().matchAll(/^ {2}127\.0\.0\.1:(\d+) +id ([0-9a-f]{40}) {2}pid (\d+) {2}(.*)$/gm)) {
    const [, port, id, pid, role] = m;
    shown.push({ port: Number(port), id: id ?? '', pid: Number(pid), role: role ?? '' });
    pids.add(Number(pid));
  }
  return shown;
}

/** One key name for each of the 16384 slots. */
function keyPerSlot(): string[] {
  const keys: string[] = new Array<string>(16384).fill('');
  let left = 16384;
  for (let i = 0; left > 0; i++) {
    const k = `k:${i}`;
    const slot = keyHashSlot(k);
    if (keys[slot] === '') {
      keys[slot] = k;
      left--;
    }
  }
  return keys;
}

after(async () => {
  for (const s of supervisors) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  await Promise.all(supervisors.map((s) => s.exit));
  for (const pid of pids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

describe('redoubt cluster-local --shards 3', () => {
  const dir = join(scratch(), 'cluster');
  let base = 0;
  let first: Supervisor;
  let shown: Shown[] = [];
  const keys = keyPerSlot();

  before(async () => {
    base = await freePortRange(3);
    first = startLocal(['--shards', '3', '--port', String(base), '--dir', dir]);
    shown = await ready(first);
  });

  test('starts three primaries, one process each, the slots split evenly, each node in its own directory', () => {
    assert.deepEqual(
      shown.map((n) => [n.port, n.role]),
      [
        [base, 'primary  slots 0-5460'],
        [base + 1, 'primary  slots 5461-10921'],
        [base + 2, 'primary  slots 10922-16383'],
      ],
    );
    assert.equal(new Set(shown.map((n) => n.pid)).size, 3);
    for (const n of shown) {
      assert.ok(processAlive(n.pid), `node ${n.port} runs`);
      const nodeDir = join(dir, String(n.port));
      assert.equal(statSync(nodeDir).mode & 0o777, 0o700);
      assert.equal(statSync(join(nodeDir, 'redoubt.conf')).mode & 0o777, 0o600);
      assert.ok(readFileSync(join(nodeDir, 'nodes.conf'), 'latin1').includes(`${n.id} 127.0.0.1:${n.port}@${n.port + 10000} myself,master`));
    }
    assert.match(first.output(), new RegExp(`redis-cli -c -h 127\\.0\\.0\\.1 -p ${base}\\n`));
  });

  test('the nodes listen on loopback only and keep the bus allowlist at its default', async () => {
    assert.equal(await cmd(base, 'CONFIG', 'GET', 'bind'), '*2\r\n$4\r\nbind\r\n$14\r\n127.0.0.1 -::1\r\n');
    assert.match(await cmd(base + 1, 'CONFIG', 'GET', 'cluster-allowed-peers'), /127\.0\.0\.0\/8 ::1/);
  });

  test('ioredis Cluster writes and reads a key in every one of the 16384 slots', async () => {
    const client = new Cluster([{ host: '127.0.0.1', port: base }], { enableAutoPipelining: true });
    try {
      for (let i = 0; i < keys.length; i += 1024) {
        const batch = keys.slice(i, i + 1024);
        await Promise.all(batch.map((k) => client.set(k, `v:${k}`)));
      }
      const values = await Promise.all(keys.map((k) => client.get(k)));
      assert.ok(values.every((v, i) => v === `v:${keys[i] ?? ''}`), 'every key reads back its value');
    } finally {
      client.disconnect();
    }
    // One key per slot: each node holds exactly as many keys as it has slots.
    const sizes = await Promise.all(shown.map(async (n) => Number((await cmd(n.port, 'DBSIZE')).slice(1, -2))));
    assert.deepEqual(sizes, [5461, 5461, 5462]);
  });

  test('redis-cli --cluster check passes', async () => {
    const { stdout } = await exec('redis-cli', ['--cluster', 'check', `127.0.0.1:${base + 1}`], { timeout: 60_000 });
    assert.match(stdout, /\[OK\] All nodes agree about slots configuration/);
    assert.match(stdout, /\[OK\] All 16384 slots covered/);
    assert.match(stdout, /127\.0\.0\.1:\d+ \(\w+\.\.\.\) -> 5461 keys \| 5461 slots \| 0 slaves/);
  });

  test('a second cluster-local on the same directory is refused while the first runs', async () => {
    const second = startLocal(['--dir', dir]);
    assert.equal(await second.exit, 1);
    assert.match(second.output(), new RegExp(`is in use by another cluster-local \\(pid ${String(first.child.pid)}\\)`));
    assert.ok(shown.every((n) => processAlive(n.pid)));
  });

  test('SIGTERM stops every node, and the command exits 0 once they have', async () => {
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0);
    assert.match(first.output(), /SIGTERM received, stopping 3 node\(s\)/);
    assert.match(first.output(), /every node has stopped\n$/);
    for (const n of shown) assert.ok(!processAlive(n.pid), `node ${n.port} (pid ${n.pid}) has exited`);
    for (const n of shown) assert.match(readFileSync(join(dir, String(n.port), 'redoubt.log'), 'latin1'), /Received SIGTERM scheduling shutdown/);
    assert.ok(!existsSync(join(dir, 'cluster-local.pid')));
  });

  test('another layout on the same directory is refused', async () => {
    const other = startLocal(['--shards', '2', '--dir', dir]);
    assert.equal(await other.exit, 1);
    assert.match(other.output(), new RegExp(`holds a cluster of 3 shard\\(s\\) with 0 replica\\(s\\) each from port ${base}`));
  });

  test('started again on the same directory, the nodes read their nodes.conf: same ids, same slots, same data', async () => {
    const again = startLocal(['--dir', dir]);
    const back = await ready(again);
    assert.match(again.output(), /started again from its nodes\.conf files/);
    assert.deepEqual(
      back.map((n) => [n.port, n.id, n.role]),
      shown.map((n) => [n.port, n.id, n.role]),
    );
    const client = new Cluster([{ host: '127.0.0.1', port: base + 2 }], { enableAutoPipelining: true });
    try {
      const sample = keys.filter((_, i) => i % 97 === 0);
      const values = await Promise.all(sample.map((k) => client.get(k)));
      assert.deepEqual(values, sample.map((k) => `v:${k}`));
    } finally {
      client.disconnect();
    }

    // A node killed: its slots have no other node, so the rest are stopped and the command fails.
    const victim = back[1];
    assert.ok(victim !== undefined);
    process.kill(victim.pid, 'SIGKILL');
    assert.equal(await again.exit, 1);
    assert.match(again.output(), new RegExp(`node 127\\.0\\.0\\.1:${victim.port} \\(pid ${victim.pid}\\) exited \\(SIGKILL\\)`));
    assert.match(again.output(), /no live node serves slots 5461-10921: stopping the other nodes/);
    for (const n of back) assert.ok(!processAlive(n.pid), `node ${n.port} has exited`);
  });
});

describe('redoubt cluster-local with a password and replicas', () => {
  const dir = join(scratch(), 'cluster');
  const password = 'a long "quoted" secret';
  let base = 0;
  let sup: Supervisor;
  let shown: Shown[] = [];

  before(async () => {
    base = await freePortRange(4);
    sup = startLocal(['--shards', '2', '--replicas', '1', '--port', String(base), '--dir', dir, '--requirepass', password]);
    shown = await ready(sup);
  });

  test('two primaries and a replica of each, every replica synced with masterauth', () => {
    assert.deepEqual(
      shown.map((n) => [n.port, n.role]),
      [
        [base, 'primary  slots 0-8191'],
        [base + 1, 'primary  slots 8192-16383'],
        [base + 2, `replica  of 127.0.0.1:${base}`],
        [base + 3, `replica  of 127.0.0.1:${base + 1}`],
      ],
    );
    assert.ok(!sup.output().includes('secret'), 'the password is not printed');
    assert.match(sup.output(), /--askpass/);
    const conf = readFileSync(join(dir, String(base + 2), 'redoubt.conf'), 'latin1');
    assert.match(conf, /^masterauth "a long \\"quoted\\" secret"$/m);
  });

  test('clients must authenticate; an authenticated ioredis Cluster writes to both shards and the replicas follow', async () => {
    assert.equal(await cmd(base, 'GET', 'x'), '-NOAUTH Authentication required.\r\n');
    const client = new Cluster([{ host: '127.0.0.1', port: base }], { redisOptions: { password } });
    try {
      for (let i = 0; i < 200; i++) await client.set(`p:${i}`, String(i));
      assert.equal(await client.get('p:123'), '123');
    } finally {
      client.disconnect();
    }
    const sizeOf = async (port: number): Promise<number> => {
      const c = await RawClient.connect(port);
      try {
        await c.call('AUTH', password);
        return Number((await c.call('DBSIZE')).slice(1, -2));
      } finally {
        c.close();
      }
    };
    const first = await sizeOf(base);
    const second = await sizeOf(base + 1);
    assert.equal(first + second, 200);
    assert.ok(first > 0 && second > 0, 'both shards hold keys');
    await until(`replica ${base + 2} to hold its primary's keys`, async () => (await sizeOf(base + 2)) === first, 20_000);
    await until(`replica ${base + 3} to hold its primary's keys`, async () => (await sizeOf(base + 3)) === second, 20_000);
    const { stdout } = await exec('redis-cli', ['-a', password, '--no-auth-warning', '--cluster', 'check', `127.0.0.1:${base}`], { timeout: 60_000 });
    assert.match(stdout, /\[OK\] All 16384 slots covered/);
    assert.match(stdout, /1 slaves/);
  });

  test('SIGINT stops the four nodes', async () => {
    sup.child.kill('SIGINT');
    assert.equal(await sup.exit, 0);
    for (const n of shown) assert.ok(!processAlive(n.pid), `node ${n.port} has exited`);
  });
});

describe('redoubt cluster-local refuses bad arguments and starts nothing', () => {
  const root = scratch();
  const cases: [string[], RegExp][] = [
    [['--shards', '0'], /--shards must be a whole number from 1 to 128, not '0'/],
    [['--shards', '-1'], /--shards must be a whole number from 1 to 128, not '-1'/],
    [['--shards', '100000000000000000000'], /--shards must be a whole number from 1 to 128, not '100000000000000000000'/],
    [['--shards', '129'], /--shards must be a whole number from 1 to 128, not '129'/],
    [['--shards', 'many'], /--shards must be a whole number from 1 to 128, not 'many'/],
    [['--shards', '2.5'], /not '2\.5'/],
    [['--shards', '0x3'], /not '0x3'/],
    [['--shards', ' 3'], /not ' 3'/],
    [['--shards'], /--shards needs a value/],
    [['--shards', '--port', '7000'], /--shards needs a value/],
    [['--shards=', '3'], /--shards must be a whole number from 1 to 128, not ''/],
    [['--replicas', '5'], /--replicas must be a whole number from 0 to 4, not '5'/],
    [['--port', '0'], /--port must be a whole number from 1 to 65535, not '0'/],
    [['--port', '65536'], /--port must be a whole number from 1 to 65535/],
    [['--shards', '3', '--port', '55534'], /need ports up to 55536 and bus ports up to 65536: .* --port must be at most 55533/],
    [['--shards', '2', '--cluster-enabled', 'no'], /--cluster-enabled cannot be given to the nodes of cluster-local/],
    [['--shards', '2', '--daemonize', 'yes'], /--daemonize cannot be given to the nodes/],
    [['--shards', '2', '--replicaof', '127.0.0.1', '6379'], /--replicaof cannot be given.*--replicas/],
    [['--shards', '2', 'stray'], /'stray' is not an option/],
    [['--shards', '2', '--maxmemory', 'lots'], /FATAL CONFIG FILE ERROR[\s\S]*maxmemory "lots"/],
    [['--shards', '2', '--no-such-directive', '1'], /Bad directive or wrong number of arguments/],
  ];

  for (const [args, message] of cases) {
    test(args.join(' '), async () => {
      const dir = join(root, `d${supervisors.length}`);
      const s = startLocal([...args, '--dir', dir]);
      assert.equal(await s.exit, 1);
      assert.match(s.output(), message);
      assert.ok(!existsSync(dir), 'nothing was created');
    });
  }

  test('a directory that is not empty and holds no cluster is refused', async () => {
    const dir = join(root, 'busy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'precious.txt'), 'keep me');
    const s = startLocal(['--shards', '1', '--dir', dir]);
    assert.equal(await s.exit, 1);
    assert.match(s.output(), /is not empty and holds no cluster-local\.json/);
    assert.deepEqual(readdirSync(dir), ['precious.txt']);
  });

  test('a garbage manifest is refused', async () => {
    const dir = join(root, 'garbage');
    mkdirSync(dir);
    writeFileSync(join(dir, 'cluster-local.json'), '{"shards": "lots"}');
    const s = startLocal(['--dir', dir]);
    assert.equal(await s.exit, 1);
    assert.match(s.output(), /is not a cluster-local manifest \(no shards\)/);
  });

  test('--help describes the command', async () => {
    const s = startLocal(['--help']);
    assert.equal(await s.exit, 0);
    assert.match(s.output(), /^Usage: redoubt cluster-local \[--shards N\] \[--replicas R\] \[--port BASE\] \[--dir DIR\]/);
    const { stdout } = await exec(process.execPath, [REDOUBT_MAIN, '--help']);
    assert.match(stdout, /redoubt cluster-local \[--shards N\]/);
  });
});

describe('docs/cluster.md', () => {
  const doc = readFileSync(new URL('../../docs/cluster.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] ?? '', text: m[2] ?? '' }));

  test('every redoubt cluster-local line uses options its --help lists or directives the nodes accept', async () => {
    const { stdout: help } = await exec(process.execPath, [REDOUBT_MAIN, 'cluster-local', '--help']);
    const lines = blocks.flatMap((b) => b.text.split('\n')).filter((l) => l.startsWith('redoubt cluster-local'));
    assert.ok(lines.length >= 3);
    const config = new Config();
    for (const line of lines) {
      const words = line.replace(/\s#.*$/, '').trim().split(/\s+/);
      for (const w of words.filter((x) => x.startsWith('--'))) {
        assert.ok(help.includes(`  ${w} `) || config.lookup(w.slice(2)) !== undefined, `${w} in: ${line}`);
      }
    }
  });

  test('the three-machine configuration file loads', () => {
    const conf = blocks.filter((b) => b.lang === 'conf');
    assert.equal(conf.length, 1);
    // Its dir does not exist here, and loading a dir line changes into it: left out.
    const text = conf[0]?.text ?? '';
    assert.match(text, /^dir \/var\/lib\/redoubt\/7000$/m);
    const loader = new ConfigLoader(new Config());
    loader.loadText(text.replace(/^dir .*$/m, ''), { label: 'docs/cluster.md', unit: 'line' });
    assert.equal(loader.config.bool('cluster-enabled'), true);
    assert.equal(loader.config.str('cluster-allowed-peers'), '10.0.1.11 10.0.1.12 10.0.1.13 127.0.0.1');
    assert.equal(loader.config.str('masterauth'), loader.config.str('requirepass'));
  });
});
