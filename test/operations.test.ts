// Running Redoubt the way a service is run: the refusal to run as root, the verbose log (connections
// and security events, never a secret), syslog and systemd's notify socket (each a unix datagram
// socket this test binds), daemonize with its pidfile, Debian's own /etc/redis/redis.conf, the
// systemd unit in packaging/ (systemd-analyze), the npm package (pack, global install, npx) and
// `npm start` on an unchanged build.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, REDOUBT_MAIN, startRedoubt } from './helpers/servers.js';
import { DatagramSink } from './helpers/dgram-sink.js';
import { until as waitUntil } from './helpers/workload-target.js';
import { processAlive } from '../src/server/cluster-lock.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'redoubt-ops-'));
/** Pids of background servers this file started; any still alive at the end is killed. */
const daemons = new Set<number>();
const sinks: DatagramSink[] = [];

after(() => {
  for (const pid of daemons) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const s of sinks) s.close();
  rmSync(work, { recursive: true, force: true });
});

function cli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10000 });
  return r.stdout.trim();
}

const until = (what: string, cond: () => boolean, ms = 10000): Promise<void> => waitUntil(what, cond, ms, 25);

/** Runs a command to its exit; resolves with its status and output. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd ?? work });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** The environment without the variables that select a supervision mode. */
function unsupervised(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NOTIFY_SOCKET'];
  delete env['UPSTART_JOB'];
  return env;
}

describe('root', () => {
  const root = process.geteuid?.() === 0;
  test('as root the server refuses to start unless REDOUBT_ALLOW_ROOT=yes; the other commands run', { skip: !root && 'not running as root' }, async () => {
    const env = { ...process.env };
    delete env['REDOUBT_ALLOW_ROOT'];
    const port = await freePort();
    const refused = await run(process.execPath, [REDOUBT_MAIN, '--port', String(port), '--save', ''], { env });
    assert.equal(refused.code, 1, refused.out);
    assert.match(refused.out, /refuses to run as root.*REDOUBT_ALLOW_ROOT=yes/);
    assert.doesNotMatch(refused.out, /Ready to accept/);
    const version = await run(process.execPath, [REDOUBT_MAIN, '--version'], { env });
    assert.equal(version.code, 0);
    // With the permission (as this file's servers have it) it runs.
    const s = await startRedoubt([], { env: { ...env, REDOUBT_ALLOW_ROOT: 'yes' } });
    assert.equal(cli(s.port, 'ping'), 'PONG');
    await s.stop();
  });
});

describe('log', () => {
  test('loglevel verbose: accepted and closed connections with addresses, security events with address and user, no secret', async () => {
    const secret = 'operations-secret-password-1';
    const wrong = 'a-wrong-guess-for-the-log';
    const s = await startRedoubt(['--loglevel', 'verbose', '--requirepass', secret]);
    try {
      assert.match(cli(s.port, 'auth', wrong), /WRONGPASS/);
      assert.equal(cli(s.port, '--no-auth-warning', '-a', secret, 'ping'), 'PONG');
      await until('the log lines', () => /auth-failed/.test(s.output()) && (s.output().match(/Client closed connection/g) ?? []).length >= 2);
      const out = s.output();
      assert.match(out, /- Accepted 127\.0\.0\.1:\d+\n/);
      assert.match(out, /- Security event auth-failed: client_id=\d+ addr=127\.0\.0\.1:\d+ user=default /);
      assert.match(out, /- Security event auth-success: .*username=default/);
      assert.match(out, /- Client closed connection id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ .* cmd=auth user=default/);
      assert.ok(!out.includes(secret) && !out.includes(wrong), 'a password reached the log');
      // A user name the client chose cannot break the line or reach a terminal raw.
      const user = 'ev\nil\x1b[31m\x9b';
      await new Promise<void>((resolve, reject) => {
        const sock = net.connect(s.port, '127.0.0.1', () => sock.write(Buffer.from(`*3\r\n$4\r\nAUTH\r\n$${user.length}\r\n${user}\r\n$2\r\npw\r\n`, 'latin1')));
        sock.once('data', () => {
          sock.destroy();
          resolve();
        });
        sock.once('error', reject);
      });
      await until('the hostile auth-failed line', () => s.output().includes('username="ev\\nil\\u001b[31m\\u009b"'));
      assert.ok(!s.output().includes('\x1b') && !s.output().includes('ev\nil'));
    } finally {
      await s.stop();
    }
  });

  test('log-format json: one object per line, a security event with the audit log\'s fields; CONFIG SET switches back', async () => {
    const secret = 'operations-secret-password-2';
    const s = await startRedoubt(['--log-format', 'json', '--loglevel', 'verbose', '--requirepass', secret]);
    try {
      assert.match(cli(s.port, 'auth', 'wrong-guess'), /WRONGPASS/);
      await until('the auth-failed line', () => s.output().includes('"auth-failed"'));
      const records = s.output().trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const r of records) {
        assert.match(String(r['ts']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(r['pid'], s.process.pid);
        assert.equal(r['role'], 'M');
      }
      assert.ok(records.some((r) => r['level'] === 'notice' && r['message'] === 'Ready to accept connections'));
      const failed = records.find((r) => r['event'] === 'auth-failed');
      assert.ok(failed, JSON.stringify(records));
      assert.equal(failed['level'], 'verbose');
      assert.equal(failed['user'], 'default');
      assert.match(String(failed['addr']), /^127\.0\.0\.1:\d+$/);
      assert.ok(!s.output().includes('wrong-guess') && !s.output().includes(secret));
      assert.equal(cli(s.port, '--no-auth-warning', '-a', secret, 'config', 'set', 'log-format', 'redis'), 'OK');
      assert.equal(cli(s.port, '--no-auth-warning', '-a', secret, 'ping'), 'PONG');
      await until('a Redis-format line', () => /\n\d+:M \d\d \w{3} \d{4} [\d:.]+ - Accepted/.test(s.output()));
    } finally {
      await s.stop();
    }
  });

  test('loglevel notice (the default) logs no connection', async () => {
    const s = await startRedoubt();
    try {
      assert.equal(cli(s.port, 'ping'), 'PONG');
      await new Promise((r) => setTimeout(r, 200));
      assert.doesNotMatch(s.output(), /Accepted|Client closed connection|Security event/);
    } finally {
      await s.stop();
    }
  });

  test('logfile: lines are appended to the file, nothing is lost from what was there', async () => {
    const file = join(work, 'append.log');
    writeFileSync(file, 'an earlier line\n');
    const s = await startRedoubt(['--logfile', file]);
    await s.stop();
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith('an earlier line\n'));
    assert.match(text, /\d+:M \d\d \w{3} \d{4} [\d:.]+ \* Ready to accept connections\n/);
    assert.doesNotMatch(s.output(), /Ready to accept connections/);
  });

  test('syslog-enabled: RFC 3164 datagrams with the facility, the level, the ident and the pid', async () => {
    const sink = await DatagramSink.open(join(work, 'log.sock'));
    sinks.push(sink);
    const s = await startRedoubt(['--syslog-enabled', 'yes', '--syslog-socket', sink.path, '--syslog-ident', 'redoubt-test', '--syslog-facility', 'local3', '--loglevel', 'verbose']);
    const pid = s.process.pid ?? -1;
    const header = (pri: number): string => `^<${pri}>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d redoubt-test\\[${pid}\\]: `;
    // local3 is facility 19: notice 19*8+5, verbose (LOG_INFO) +6, warning +4.
    const ready = await sink.waitFor((m) => m.endsWith('Ready to accept connections'));
    assert.match(ready, new RegExp(header(157) + 'Ready to accept connections$'));
    assert.equal(cli(s.port, 'ping'), 'PONG');
    await sink.waitFor((m) => new RegExp(header(158) + 'Accepted 127\\.0\\.0\\.1:\\d+$').test(m));
    await s.stop();
    await sink.waitFor((m) => new RegExp(header(156) + 'Received SIGTERM scheduling shutdown\\.\\.\\.$').test(m));
    // The server's own log still has every line.
    assert.match(s.output(), /Ready to accept connections/);
  });

  test('syslog without the logger program: one warning, and the server runs', async () => {
    const s = await startRedoubt(['--syslog-enabled', 'yes', '--syslog-socket', join(work, 'unused.sock')], { env: { ...process.env, PATH: '/nonexistent' } });
    try {
      assert.equal(cli(s.port, 'ping'), 'PONG');
      await until('the warning', () => s.output().includes('logger program cannot run'));
      assert.equal((s.output().match(/logger program cannot run/g) ?? []).length, 1);
    } finally {
      await s.stop();
    }
  });

  test('syslog to a socket nobody listens on loses lines, never the server', async () => {
    const s = await startRedoubt(['--syslog-enabled', 'yes', '--syslog-socket', join(work, 'nobody.sock')]);
    try {
      assert.equal(cli(s.port, 'ping'), 'PONG');
      assert.equal(cli(s.port, 'config', 'get', 'syslog-enabled'), 'syslog-enabled\nyes');
    } finally {
      await s.stop();
    }
  });
});

describe('supervised systemd', () => {
  test('supervised auto with NOTIFY_SOCKET: loading, then READY=1 once listening, STOPPING=1 at shutdown', async () => {
    const sink = await DatagramSink.open(join(work, 'notify.sock'));
    sinks.push(sink);
    const s = await startRedoubt(['--supervised', 'auto', '--loglevel', 'verbose'], { env: { ...unsupervised(), NOTIFY_SOCKET: sink.path } });
    const ready = await sink.waitFor((m) => m.split('\n').includes('READY=1'));
    assert.ok(ready.split('\n').includes('STATUS=Ready to accept connections'), ready);
    const loading = sink.messages.findIndex((m) => m.includes('STATUS=Redoubt is loading...'));
    assert.ok(loading !== -1 && loading < sink.messages.indexOf(ready), sink.messages.join(' | '));
    assert.match(s.output(), /Systemd supervision detected\.[^]*Supervised by systemd/);
    assert.ok(!sink.messages.some((m) => m.includes('STOPPING')));
    cli(s.port, 'shutdown', 'nosave');
    assert.equal(await s.exited(), 0);
    await sink.waitFor((m) => m.split('\n').includes('STOPPING=1'));
  });

  test('supervised systemd, stopped by SIGTERM as systemd stops it: STOPPING=1 once, before the exit', async () => {
    const sink = await DatagramSink.open(join(work, 'notify-term.sock'));
    sinks.push(sink);
    const s = await startRedoubt(['--supervised', 'systemd'], { env: { ...unsupervised(), NOTIFY_SOCKET: sink.path } });
    await sink.waitFor((m) => m.split('\n').includes('READY=1'));
    await s.stop();
    await sink.waitFor((m) => m === 'STOPPING=1');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sink.messages.filter((m) => m.includes('STOPPING=1')).length, 1, sink.messages.join(' | '));
  });

  test('supervised systemd without NOTIFY_SOCKET warns and runs unsupervised', async () => {
    const s = await startRedoubt(['--supervised', 'systemd'], { env: unsupervised() });
    try {
      assert.equal(cli(s.port, 'ping'), 'PONG');
      assert.match(s.output(), /systemd supervision requested or auto-detected, but NOTIFY_SOCKET not found!/);
    } finally {
      await s.stop();
    }
  });
});

describe('daemonize', () => {
  /** Starts `args` with daemonize yes: resolves once the starting command has exited. */
  async function daemon(args: string[]): Promise<{ code: number | null; out: string; pidfile: string; logfile: string; port: number }> {
    const port = await freePort();
    const dir = mkdtempSync(join(work, 'd-'));
    const pidfile = join(dir, 'redoubt.pid');
    const logfile = join(dir, 'redoubt.log');
    const r = await run(process.execPath, [REDOUBT_MAIN, ...args, '--port', String(port), '--dir', dir, '--pidfile', pidfile, '--logfile', logfile, '--daemonize', 'yes'], {
      env: unsupervised(),
    });
    if (existsSync(pidfile)) daemons.add(Number(readFileSync(pidfile, 'utf8')));
    return { ...r, pidfile, logfile, port };
  }

  test('the command returns once the server listens; the pidfile names the server and goes at exit', async () => {
    const d = await daemon(['--bind', '127.0.0.1', '--save', '']);
    assert.equal(d.code, 0, d.out);
    assert.equal(d.out, '');
    // Listening already: no wait.
    assert.equal(cli(d.port, 'ping'), 'PONG');
    const pid = Number(readFileSync(d.pidfile, 'utf8'));
    assert.match(readFileSync(d.pidfile, 'utf8'), /^\d+\n$/);
    assert.ok(processAlive(pid));
    assert.equal(cli(d.port, 'info', 'server').match(/process_id:(\d+)/)?.[1], String(pid));
    assert.equal(cli(d.port, 'config', 'get', 'daemonize'), 'daemonize\nyes');
    assert.match(readFileSync(d.logfile, 'utf8'), /Ready to accept connections/);
    cli(d.port, 'shutdown', 'nosave');
    await until('the daemon to exit', () => !processAlive(pid));
    assert.ok(!existsSync(d.pidfile), 'the pidfile outlived the server');
    daemons.delete(pid);
  });

  test('a server that cannot listen: the command fails with its status and points at the log', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const dir = mkdtempSync(join(work, 'd-'));
      const logfile = join(dir, 'r.log');
      // The pidfile of the server that holds the port: a start that fails leaves it alone.
      writeFileSync(join(dir, 'p'), '12345\n');
      const r = await run(process.execPath, [REDOUBT_MAIN, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--logfile', logfile, '--pidfile', join(dir, 'p'), '--daemonize', 'yes'], {
        env: unsupervised(),
      });
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, new RegExp(`exited before it was ready \\(status 1\\); see ${logfile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(readFileSync(logfile, 'utf8'), /Failed to start listening, exiting\./);
      assert.equal(readFileSync(join(dir, 'p'), 'utf8'), '12345\n');
    } finally {
      blocker.close();
    }
  });

  test("Debian's /etc/redis/redis.conf runs unchanged (daemonize yes), its paths moved by flags", { skip: !existsSync('/etc/redis/redis.conf') && 'no /etc/redis/redis.conf' }, async () => {
    const d = await daemon(['/etc/redis/redis.conf']);
    assert.equal(d.code, 0, d.out + (existsSync(d.logfile) ? readFileSync(d.logfile, 'utf8') : ''));
    assert.equal(cli(d.port, 'ping'), 'PONG');
    assert.equal(cli(d.port, 'config', 'get', 'daemonize'), 'daemonize\nyes');
    assert.equal(cli(d.port, 'set', 'k', 'v'), 'OK');
    const pid = Number(readFileSync(d.pidfile, 'utf8'));
    cli(d.port, 'shutdown', 'nosave');
    await until('the daemon to exit', () => !processAlive(pid));
    daemons.delete(pid);
    assert.doesNotMatch(readFileSync(d.logfile, 'utf8'), /FATAL|not supported/);
  });

  test('daemonize with the configuration on standard input is refused', () => {
    const r = spawnSync(process.execPath, [REDOUBT_MAIN, '--port', '1', '-'], { input: 'daemonize yes\n', encoding: 'utf8', env: unsupervised() });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot be used with a configuration read from standard input/);
  });
});

describe('packaging/redoubt.service', () => {
  const unit = readFileSync(join(ROOT, 'packaging/redoubt.service'), 'utf8');
  const has = (line: string): boolean => unit.split('\n').includes(line);

  test('has the hardening the issue lists, and not MemoryDenyWriteExecute', () => {
    for (const line of [
      'Type=notify',
      'NotifyAccess=all',
      'User=redoubt',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'NoNewPrivileges=yes',
      'CapabilityBoundingSet=',
      'ReadWritePaths=/var/lib/redoubt /var/log/redoubt /run/redoubt',
    ]) {
      assert.ok(has(line), line);
    }
    assert.ok(!/^MemoryDenyWriteExecute=/m.test(unit));
    const nofile = Number(/^LimitNOFILE=(\d+)$/m.exec(unit)?.[1]);
    assert.ok(nofile > 10000 + 32, 'LimitNOFILE must hold maxclients (10000) and the server');
  });

  test('systemd-analyze verify accepts it; its exposure score is low', { skip: spawnSync('systemd-analyze', ['--version']).status !== 0 && 'no systemd-analyze' }, () => {
    // verify checks that ExecStart's program exists: point it at this tree's command.
    const copy = join(work, 'redoubt.service');
    writeFileSync(copy, unit.replace(/^ExecStart=\/usr\/local\/bin\/redoubt /m, `ExecStart=${join(ROOT, 'bin/redoubt')} `));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '');
    const sec = spawnSync('systemd-analyze', ['security', '--offline=yes', copy], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for redoubt\.service: ([\d.]+)/.exec(sec.stdout)?.[1]);
    assert.ok(score <= 2, `exposure ${score}:\n${sec.stdout}`);
    // A broken option is something verify reports: the check above can fail.
    writeFileSync(copy, unit.replace('ProtectHome=yes', 'ProtectHome=perhaps'));
    assert.match(spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' }).stderr, /protect home/i);
  });

  test('packaging/redoubt.conf, the configuration the unit names, loads with its flags and has no high security gap', () => {
    // The directory must exist when the file is read (the unit's StateDirectory makes it).
    const conf = readFileSync(join(ROOT, 'packaging/redoubt.conf'), 'utf8');
    assert.match(conf, /^dir \/var\/lib\/redoubt$/m);
    const copy = join(work, 'redoubt.conf');
    writeFileSync(copy, conf.replace(/^dir .*$/m, `dir ${work}`));
    // With the flags the unit's ExecStart adds after the file.
    const unit = readFileSync(join(ROOT, 'packaging/redoubt.service'), 'utf8');
    const flags = /^ExecStart=\S+ \/etc\/redoubt\/redoubt\.conf (.*)$/m.exec(unit)?.[1]?.split(' ') ?? [];
    assert.deepEqual(flags, ['--supervised', 'systemd', '--daemonize', 'no']);
    const r = spawnSync(process.execPath, [REDOUBT_MAIN, '--check-config', copy, ...flags], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /0 critical, 0 high/);
  });
});

describe('the npm package', () => {
  test('npm pack ships the command, the built server and the papers; a global install and npx run it offline', async () => {
    const dir = mkdtempSync(join(work, 'pack-'));
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT });
    assert.equal(packed.code, 0, packed.out);
    const tgz = join(dir, 'redoubt-' + (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version + '.tgz');
    const files = spawnSync('tar', ['tzf', tgz], { encoding: 'utf8' }).stdout.split('\n').filter((f) => f !== '');
    for (const f of ['package/bin/redoubt', 'package/dist/src/cli/main.js', 'package/dist/src/cli/heap-size.js', 'package/LICENSE', 'package/README.md', 'package/package.json']) {
      assert.ok(files.includes(f), f);
    }
    const stray = files.filter((f) => /^package\/(src|test|bench|dist\/test|dist\/bench|node_modules)\/|\.map$|\.ts$/.test(f));
    assert.deepEqual(stray, []);

    // The package has no runtime dependencies: nothing is fetched (--offline would fail if it were).
    const prefix = join(dir, 'global');
    const installed = await run('npm', ['install', '-g', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--cache', join(dir, 'cache'), '--prefix', prefix, tgz]);
    assert.equal(installed.code, 0, installed.out);
    const bin = join(prefix, 'bin/redoubt');
    const version = await run(bin, ['--version']);
    assert.match(version.out, /^Redoubt v=\S+ redis_version=7\.0\.\d+/);
    const help = await run(bin, ['--help']);
    for (const word of ['redoubt audit', 'check-rdb', 'check-aof', '--daemonize yes', '--supervised systemd']) assert.ok(help.out.includes(word), word);
    const port = await freePort();
    const server = spawn(bin, ['--port', String(port), '--save', ''], { stdio: 'ignore', cwd: dir });
    try {
      await until('the installed server', () => cli(port, 'ping') === 'PONG', 15000);
    } finally {
      server.kill('SIGTERM');
    }

    const npx = await run('npm', ['exec', '--offline', '--yes', '--cache', join(dir, 'cache'), `--package=${tgz}`, '--', 'redoubt', '--version'], { cwd: dir });
    assert.equal(npx.code, 0, npx.out);
    assert.match(npx.out, /Redoubt v=\S+ redis_version=7\.0\.\d+/);
  });

  const fresh = existsSync(join(ROOT, 'dist/.built')) && spawnSync('find', ['src', 'tsconfig.json', 'package.json', '-newer', 'dist/.built', '-print', '-quit'], { cwd: ROOT, encoding: 'utf8' }).stdout === '';
  test('npm start on an unchanged build starts the server without compiling', { skip: !fresh && 'the build is not fresh (run npm run build)' }, async (t) => {
    const port = await freePort();
    const started = Date.now();
    const child = spawn('npm', ['start', '--', '--port', String(port), '--save', ''], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until('npm start', () => cli(port, 'ping') === 'PONG', 15000);
      const ms = Date.now() - started;
      t.diagnostic(`npm start to PONG: ${ms} ms`);
      assert.doesNotMatch(out, /tsc -p/);
      // Well under a second on an idle machine; a compile alone takes 15 s or more, so a loaded
      // machine's start still tells the two apart.
      assert.ok(ms < 10000, `${ms} ms`);
    } finally {
      cli(port, 'shutdown', 'nosave');
      await new Promise((r) => child.once('close', r));
    }
  });
});

describe('packaging/container', () => {
  const entrypoint = join(ROOT, 'packaging/container/entrypoint.sh');
  const healthcheck = join(ROOT, 'packaging/container/healthcheck.js');
  /** The image's PATH has the installed `redoubt`; here, this tree's. */
  const env = (file: string): NodeJS.ProcessEnv => ({ ...unsupervised(), PATH: `${join(ROOT, 'bin')}:${process.env['PATH'] ?? ''}`, REDOUBT_PASSWORD_FILE: file });

  test('the entry point refuses to start without a password file, or with an empty one', async () => {
    const missing = await run(entrypoint, ['--port', '1'], { env: env(join(work, 'no-such-secret')) });
    assert.equal(missing.code, 1);
    assert.match(missing.out, /no password file at .*no-such-secret.*refusing to start without a password/);
    const empty = join(work, 'empty-secret');
    writeFileSync(empty, '\n');
    const r = await run(entrypoint, ['--port', '1'], { env: env(empty) });
    assert.equal(r.code, 1);
    assert.match(r.out, /is empty; refusing to start without a password/);
  });

  test('the password from the secret file, whatever its bytes, is required and never on the command line; the health check uses it', async () => {
    const password = 'a "quoted" pass\\word with spaces and $dollars';
    const file = join(work, 'secret');
    writeFileSync(file, password + '\n');
    const port = await freePort();
    // Loopback here: the image's own bind ("* -::*") comes first and this overrides it.
    const child = spawn(entrypoint, ['--port', String(port), '--save', '', '--bind', '127.0.0.1'], { env: env(file), stdio: ['ignore', 'pipe', 'pipe'], cwd: work });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until('the container server', () => cli(port, 'ping').length > 0, 15000);
      assert.match(cli(port, 'ping'), /NOAUTH/);
      assert.equal(cli(port, '--no-auth-warning', '-a', password, 'ping'), 'PONG');
      // The shell exec'd the command, which exec'd node: one process, whose arguments hold no secret.
      const cmdline = readFileSync(`/proc/${child.pid ?? 0}/cmdline`, 'latin1').split('\0');
      assert.ok(cmdline.includes('* -::*'), cmdline.join(' '));
      assert.ok(!cmdline.join(' ').includes('pass\\word'), 'the password is on the command line');
      const healthy = await run(process.execPath, [healthcheck, String(port)], { env: env(file) });
      assert.equal(healthy.code, 0, healthy.out);
      const wrong = join(work, 'wrong-secret');
      writeFileSync(wrong, 'not-it');
      const unhealthy = await run(process.execPath, [healthcheck, String(port)], { env: env(wrong) });
      assert.equal(unhealthy.code, 1);
      assert.match(unhealthy.out, /unhealthy: -WRONGPASS/);
      assert.ok(!out.includes('pass\\word'), 'the password reached the log');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
    const down = await run(process.execPath, [healthcheck, String(port)], { env: env(file) });
    assert.equal(down.code, 1);
  });

  test('the Dockerfile runs as a non-root user with /data as a volume, a HEALTHCHECK and the entry point', () => {
    const text = readFileSync(join(ROOT, 'packaging/container/Dockerfile'), 'utf8');
    for (const re of [/^USER node$/m, /^VOLUME \/data$/m, /^HEALTHCHECK .*redoubt-healthcheck\.js/m, /^ENTRYPOINT \["\/usr\/local\/bin\/redoubt-entrypoint"\]$/m, /^ENV REDOUBT_PASSWORD_FILE=/m]) {
      assert.match(text, re);
    }
    // Every file it copies from the tree exists.
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      // The package itself (redoubt-*.tgz) is what `npm pack` makes first.
      for (const path of (m[1] ?? '').split(' ')) if (!path.includes('*')) assert.ok(existsSync(join(ROOT, path)), path);
    }
  });
});
