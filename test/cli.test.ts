// The `redoubt` command as a user runs it: --help and --version, config file plus flags (flags
// win), include, stdin, refusals that name the file and line with exit status 1, directives for
// missing features refused by name, the startup log, clean exit on SIGTERM and SIGINT, and
// CONFIG GET * against the real redis-server's list.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { freePort, REDOUBT_MAIN, startRedis, startRedoubt } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { parseCommandLine } from '../src/config/cli-args.js';
import { Config } from '../src/config/config.js';
import { securityPosture } from '../src/config/posture.js';
import { REDOUBT_ONLY } from '../src/config/doc-table.js';

const work = realpathSync(mkdtempSync(join(tmpdir(), 'redoubt-cli-')));
after(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs redoubt to completion (for commands that exit by themselves). */
function run(args: string[], opts: { cwd?: string; input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [REDOUBT_MAIN, ...args], { cwd: opts.cwd ?? work, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
}

/** Starts redoubt on a free port and waits until it accepts connections. */
async function serve(args: string[], opts: { cwd?: string; input?: string } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [REDOUBT_MAIN, ...args.map((a) => a.replace('$PORT', String(port)))], {
    cwd: opts.cwd ?? work,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(opts.input ?? '');
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 15000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redoubt did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    output: () => out,
    get: async (name: string): Promise<string> => {
      const c = await RawClient.connect(port);
      try {
        const r = await c.call('CONFIG', 'GET', name);
        const m = /^\*2\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n(.*)\r\n$/s.exec(r);
        return m ? m[1]! : r;
      } finally {
        c.close();
      }
    },
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

const file = (name: string, text: string): string => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

describe('--help and --version', () => {
  test('--help prints usage, examples and where the docs are, and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await run([flag]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: redoubt \[\/path\/to\/redoubt\.conf\] \[--directive value \.\.\.\]/);
      assert.match(r.stdout, /Examples:/);
      assert.match(r.stdout, /--bind 127\.0\.0\.1 ::1 --save ""/);
      assert.match(r.stdout, /Documentation: /);
    }
  });

  test('--version prints Redoubt and Redis versions and exits 0', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await run([flag]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Redoubt v=\d+\.\d+\.\d+ redis_version=7\.0\.15 /);
    }
  });

  test('options redis-server has and Redoubt does not are refused', async () => {
    const r = await run(['--test-memory', '10']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--test-memory is not supported/);
  });
});

describe('config file and flags', () => {
  test('flags override the file; multi-word flags and --save with no value', async () => {
    const conf = file('precedence.conf', 'timeout 5\nmaxclients 50\nloglevel verbose\n');
    const s = await serve([conf, '--port', '$PORT', '--timeout', '7', '--bind', '127.0.0.1', '-::1', '--save']);
    try {
      assert.equal(await s.get('timeout'), '7');
      assert.equal(await s.get('maxclients'), '50');
      assert.equal(await s.get('loglevel'), 'verbose');
      assert.equal(await s.get('bind'), '127.0.0.1 -::1');
      assert.equal(await s.get('save'), '');
    } finally {
      await s.stop();
    }
  });

  test('include nests, reads paths relative to the working directory, and later lines win', async () => {
    mkdirSync(join(work, 'conf.d'), { recursive: true });
    file('conf.d/a.conf', 'timeout 11\ninclude conf.d/b.conf\n');
    file('conf.d/b.conf', 'tcp-keepalive 22\nmaxclients 33\n');
    file('conf.d/c.conf', 'slowlog-max-len 44\n');
    const conf = file('main.conf', '# main\ninclude conf.d/a.conf\nmaxclients 34\ninclude conf.d/c*.conf\ninclude conf.d/none-*.conf\n');
    const s = await serve(['main.conf', '--port', '$PORT']);
    try {
      assert.equal(await s.get('timeout'), '11');
      assert.equal(await s.get('tcp-keepalive'), '22');
      assert.equal(await s.get('maxclients'), '34');
      assert.equal(await s.get('slowlog-max-len'), '44');
      assert.match(s.output(), new RegExp(`Configuration loaded from ${conf}`));
    } finally {
      await s.stop();
    }
  });

  test('standard input is read after the file, before the flags', async () => {
    const conf = file('stdin.conf', 'timeout 1\ntcp-keepalive 1\n');
    const s = await serve([conf, '--port', '$PORT', '--tcp-keepalive', '3', '-'], { input: 'timeout 2\ntcp-keepalive 2\nmaxclients 77\n' });
    try {
      assert.equal(await s.get('timeout'), '2');
      assert.equal(await s.get('tcp-keepalive'), '3');
      assert.equal(await s.get('maxclients'), '77');
    } finally {
      await s.stop();
    }
  });

  test('names are case-insensitive, quoting follows Redis, deprecated names are accepted', async () => {
    const conf = file(
      'quoting.conf',
      '  MAXCLIENTS   99  \r\nignore-warnings "a \\"b\\"\\x41"\nproc-title-template \'{title} x\'\nlist-max-ziplist-entries 5\nSLAVE-PRIORITY 7\n',
    );
    const s = await serve([conf, '--port', '$PORT']);
    try {
      assert.equal(await s.get('maxclients'), '99');
      assert.equal(await s.get('ignore-warnings'), 'a "b"A');
      assert.equal(await s.get('proc-title-template'), '{title} x');
      assert.equal(await s.get('replica-priority'), '7');
    } finally {
      await s.stop();
    }
  });

  test('rename-command renames or removes a command', async () => {
    const conf = file('rename.conf', 'rename-command CONFIG cfg\nrename-command echo ""\n');
    const s = await serve([conf, '--port', '$PORT']);
    try {
      const c = await RawClient.connect(s.port);
      try {
        assert.equal(await c.call('cfg', 'GET', 'timeout'), '*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n');
        assert.match(await c.call('CONFIG', 'GET', 'timeout'), /^-ERR unknown command 'CONFIG'/);
        assert.match(await c.call('ECHO', 'x'), /^-ERR unknown command 'ECHO'/);
      } finally {
        c.close();
      }
    } finally {
      await s.stop();
    }
  });

  test('pidfile is written while running and removed at exit', async () => {
    const pidfile = join(work, 'redoubt.pid');
    const s = await serve(['--port', '$PORT', '--pidfile', pidfile]);
    // Written once every listener is open (as Redis, after initServer): the first one may already
    // take a connection.
    for (let i = 0; i < 200 && !existsSync(pidfile); i++) await new Promise((r) => setTimeout(r, 25));
    const pid = Number(readFileSync(pidfile, 'latin1').trim());
    assert.ok(pid > 0);
    assert.deepEqual(await s.stop(), { code: 0, signal: null });
    assert.equal(existsSync(pidfile), false);
  });
});

describe('refused configurations exit with status 1 and say where and why', () => {
  test('an unknown directive names the file, the line and quotes it', async () => {
    const conf = file('unknown.conf', '# comment\nport 0\n  nosuch-directive  1 2\n');
    const r = await run([conf]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      '\n*** FATAL CONFIG FILE ERROR (Redoubt 0.1.0, Redis 7.0.15 compatible) ***\n' +
        `Reading the configuration file ${conf}, at line 3\n` +
        ">>> 'nosuch-directive  1 2'\n" +
        'Bad directive or wrong number of arguments\n',
    );
  });

  test('bad values give Redis reasons; an included file is named itself', async () => {
    const inner = file('bad-inner.conf', 'timeout 1\ntimeout abc\n');
    const cases: [string[], RegExp][] = [
      [[file('bad1.conf', 'timeout 1 2\n')], /at line 1\n>>> 'timeout 1 2'\nwrong number of arguments\n$/],
      [[file('bad2.conf', 'maxclients 0\n')], /argument must be between 1 and 4294967295 inclusive\n$/],
      [[file('bad3.conf', 'loglevel loud\n')], /argument\(s\) must be one of the following: debug, verbose, notice, warning\n$/],
      [[file('bad4.conf', 'timeout "1\n')], /Unbalanced quotes in configuration line\n$/],
      [[file('bad5.conf', `port 0\ninclude ${inner}\n`)], new RegExp(`Reading the configuration file ${inner}, at line 2\n>>> 'timeout abc'\nargument couldn't be parsed into an integer\n$`)],
      [[file('bad6.conf', 'include /nonexistent/x.conf\n')], /^Fatal error, can't open config file '\/nonexistent\/x\.conf': No such file or directory\n$/],
      [['/nonexistent/redoubt.conf'], /^Fatal error, can't open config file '\/nonexistent\/redoubt\.conf': No such file or directory\n$/],
      [['--timeout', 'abc'], /Reading the command line, at option 1\n>>> 'timeout "abc"'\nargument couldn't be parsed into an integer\n$/],
      [['--port', '0', '--nosuch', '1'], /at option 2\n>>> 'nosuch "1"'\nBad directive or wrong number of arguments\n$/],
      [[file('bad8.conf', 'loadmodule /x.so\n')], /Redoubt does not support modules/],
      [[file('bad9.conf', 'rename-command nosuchcommand x\n')], /No such command in rename-command\n$/],
      [['--logfile', '/nonexistent/dir/redoubt.log'], /Can't open the log file: No such file or directory\n$/],
    ];
    for (const [args, expected] of cases) {
      const r = await run(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, expected, args.join(' '));
    }
  });

  test('a directive for a missing feature accepts only "off" and names itself', async () => {
    const cases: [string[], string][] = [
      [['--io-threads', '4'], 'io-threads'],
    ];
    for (const [args, name] of cases) {
      const r = await run(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, new RegExp(`Redoubt does not support .+ yet, so '${name}' only accepts "[^"]*"\n$`), args.join(' '));
    }
    // The "off" values themselves are fine.
    const s = await serve(['--port', '$PORT', '--appendonly', 'no', '--save', '', '--replicaof', 'no', 'one', '--maxmemory', '0', '--io-threads', '1']);
    await s.stop();
  });
});

describe('startup log and shutdown', () => {
  test('the log shows versions, pid, addresses and the security posture', async () => {
    const s = await serve(['--port', '$PORT', '--bind', '127.0.0.1']);
    const { code } = await s.stop();
    assert.equal(code, 0);
    const log = s.output();
    assert.match(log, /Redoubt version=\d+\.\d+\.\d+, Redis compatibility=7\.0\.15, node=v\d+/);
    assert.match(log, /pid=\d+/);
    assert.match(log, new RegExp(`Listening on 127\\.0\\.0\\.1:${s.port}\n`));
    assert.match(log, /Security: listening on loopback addresses only/);
    assert.match(log, /Security: the default user has no password/);
    assert.match(log, /Security: protected mode is on/);
    assert.match(log, /Security: TLS is off/);
    assert.match(log, /Security: DEBUG disabled, MODULE disabled, MIGRATE disabled, CONFIG SET of protected settings \(dir, dbfilename\) disabled/);
    assert.match(log, /Ready to accept connections/);
    assert.match(log, /No config file specified/);
  });

  test('the posture follows the configuration', async () => {
    const s = await serve(['--port', '$PORT', '--bind', '127.0.0.1', '--requirepass', 'pw', '--protected-mode', 'no', '--enable-debug-command', 'local']);
    await s.stop();
    assert.match(s.output(), /Security: the default user requires a password/);
    assert.match(s.output(), /Security: protected mode is off/);
    assert.match(s.output(), /DEBUG allowed from local connections only/);
    // Exposure to the network is judged from the addresses bound.
    const config = new Config();
    const exposed = securityPosture(config, [{ host: '0.0.0.0', port: 6379, family: 'tcp' }]);
    assert.ok(exposed.some((l) => l.text.includes('listening on non-loopback addresses (0.0.0.0:6379)')));
    assert.ok(!exposed.some((l) => l.level === 'warning'), 'protected mode still guards it');
    config.store(config.lookup('protected-mode')!, false);
    const open = securityPosture(config, [{ host: '::', port: 6379, family: 'tcp' }]);
    assert.ok(open.some((l) => l.level === 'warning' && l.text.includes('without a password')));
  });

  test('SIGTERM and SIGINT stop the server cleanly with status 0', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const s = await serve(['--port', '$PORT']);
      assert.deepEqual(await s.stop(sig), { code: 0, signal: null });
      assert.match(s.output(), new RegExp(`Received ${sig} scheduling shutdown`));
      assert.match(s.output(), /ready to exit, bye bye/);
    }
  });
});

describe('CONFIG GET * against redis-server 7.0', () => {
  test('the same names with the same defaults, except the documented differences', async () => {
    // One working directory, so that `dir` reads the same on both.
    const cwd = mkdtempSync(join(tmpdir(), 'redoubt-cli-'));
    const [redis, ours] = await Promise.all([startRedis([], cwd), startRedoubt([], { cwd })]);
    const all = async (port: number): Promise<Map<string, string>> => {
      const c = await RawClient.connect(port);
      try {
        c.write(RawClient.encode(['CONFIG', 'GET', '*']));
        const raw = (await c.read())!.toString('latin1');
        const parts = raw.split('\r\n');
        const m = new Map<string, string>();
        for (let i = 1; i + 3 < parts.length; i += 4) m.set(parts[i + 1]!, parts[i + 3]!);
        return m;
      } finally {
        c.close();
      }
    };
    try {
      const [theirs, mine] = await Promise.all([all(redis.port), all(ours.port)]);
      assert.ok(theirs.size > 180);
      // Redoubt's own directives (trusted-networks, audit-log, ...) are the only extra names.
      assert.deepEqual([...mine.keys()].filter((n) => !REDOUBT_ONLY.has(n)).sort(), [...theirs.keys()].sort());
      // Both servers run with --port and --bind 127.0.0.1, and redis-server with --save "";
      // client-output-buffer-limit is a documented difference (REDIS_DEFAULTS, checked by the docs test).
      const differences = new Set(['port', 'client-output-buffer-limit']);
      for (const [name, value] of theirs) {
        if (differences.has(name)) continue;
        assert.equal(mine.get(name), value, name);
      }
    } finally {
      await Promise.all([redis.stop(), ours.stop()]);
    }
  });
});

describe('command line parsing (unit)', () => {
  test('follows redis-server: values are quoted into a config line', () => {
    assert.deepEqual(parseCommandLine(['a.conf', '--port', '7', '--bind', '1.2.3.4', '::1', '--requirepass', 'two words']), {
      kind: 'run',
      configFile: 'a.conf',
      stdin: false,
      options: ['port "7"', 'bind "1.2.3.4" "::1"', 'requirepass "two words"'],
    });
    // A bare `--name` takes the next word as its value even if it starts with "--".
    assert.deepEqual(parseCommandLine(['--requirepass', '--not-an-option']).kind === 'run' && parseCommandLine(['--requirepass', '--not-an-option']), {
      kind: 'run',
      configFile: null,
      stdin: false,
      options: ['requirepass "--not-an-option"'],
    });
    // `--save` followed by another option or by nothing means save "".
    const r = parseCommandLine(['--save', '--port', '1', '--save']);
    assert.deepEqual(r.kind === 'run' && r.options, ['save ""', 'port "1"', 'save ""']);
    // "--name value" in one word, and "-" for stdin first or last.
    const q = parseCommandLine(['-', '--port 7']);
    assert.deepEqual(q.kind === 'run' && [q.stdin, q.options], [true, ['port 7']]);
    const last = parseCommandLine(['x.conf', '--port', '1', '-']);
    assert.deepEqual(last.kind === 'run' && [last.configFile, last.stdin], ['x.conf', true]);
    assert.deepEqual(parseCommandLine(['-v']), { kind: 'version' });
    assert.deepEqual(parseCommandLine(['--help', 'x']), { kind: 'help' });
  });
});
