// Keeps docs/configuration.md (and the README's command lines) true: the directive table is the one
// the parameter table renders, every --help line and option the documents quote exists in the real
// `redoubt --help`, every example command line and config line loads, the defaults said to differ
// from Redis are exactly those that differ from a live redis-server, and the CONFIG SET column
// matches what a running server does.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDOUBT_MAIN, startRedoubt, type RunningServer } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { decode, type RespValue } from './helpers/resp.js';
import { parseCommandLine } from '../src/config/cli-args.js';
import { Config } from '../src/config/config.js';
import { ConfigLoader } from '../src/config/config-file.js';
import { parameters } from '../src/config/parameters.js';
import {
  DEFAULT_TEXT,
  extractTable,
  OFF_SPELLING,
  REDIS_DEFAULTS,
  REDOUBT_ONLY,
  renderConfigTable,
  replaceTable,
  RESTART_ONLY,
  SPECIAL_SYNTAX,
  STRING_RULES,
  TABLE_END,
  TABLE_START,
} from '../src/config/doc-table.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const operations = readFileSync(join(root, 'docs/operations.md'), 'utf8');
const REGENERATE = 'npx tsc -p . && node dist/src/config/doc-table.js --write docs/configuration.md';

function realHelp(): string {
  const r = spawnSync(process.execPath, [REDOUBT_MAIN, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The text between two marker comments. */
function between(text: string, start: string, end: string): string {
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  assert.ok(a !== -1 && b > a, `markers ${start} / ${end} missing`);
  return text.slice(a + start.length, b);
}

/** Lines of the fenced code blocks of a markdown text, with each block's info string. */
function codeLines(md: string): { lang: string; line: string }[] {
  const out: { lang: string; line: string }[] = [];
  let lang: string | null = null;
  for (const line of md.split('\n')) {
    const fence = /^\s*```(\S*)/.exec(line);
    if (fence) {
      lang = lang === null ? fence[1]! : null;
      continue;
    }
    if (lang !== null) out.push({ lang, line });
  }
  return out;
}

/** POSIX shell words of one simple command (quotes, no expansions), or null if unbalanced. */
function shellWords(s: string): string[] | null {
  const out: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "'" || ch === '"') {
      const close = s.indexOf(ch, i + 1);
      if (close === -1) return null;
      cur = (cur ?? '') + s.slice(i + 1, close);
      i = close;
    } else if (ch === ' ' || ch === '\t') {
      if (cur !== null) out.push(cur);
      cur = null;
    } else {
      cur = (cur ?? '') + ch;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

const PROGRAMS = [['redoubt'], ['node', 'dist/src/cli/main.js'], ['npm', 'start', '--']];

/** The redoubt arguments of every invocation in a shell line (pipelines and && lists split). */
function invocations(line: string): string[][] {
  const out: string[][] = [];
  // Comments start at an unquoted " #", and two or more spaces start a description (as in the
  // --help examples); the quoted texts in these documents hold neither.
  const code = line.trim().replace(/\s#.*$/, '').split(/\s{2,}/)[0]!;
  for (const part of code.split(/\|\||&&|[|;]/)) {
    const words = shellWords(part.trim());
    if (words === null || words.length === 0) continue;
    for (const prog of PROGRAMS) {
      // `redoubt audit ...` is the auditor's command line, checked by test/audit.test.ts.
      if (prog.every((w, i) => words[i] === w) && words[prog.length] !== 'audit') out.push(words.slice(prog.length));
    }
  }
  return out;
}

/** Loads an invocation's directives (not its config file, which need not exist here). */
function loadFlags(args: string[], where: string): void {
  const cli = parseCommandLine(args);
  assert.equal(cli.kind, 'run', where);
  const loader = new ConfigLoader(new Config());
  cli.options.forEach((line, i) => {
    try {
      loader.directive(line, { label: 'the command line', unit: 'option' }, i + 1);
    } catch (err) {
      assert.fail(`${where}: option '${line}' is refused: ${(err as Error).message}`);
    }
  });
}

describe('the directive reference table', () => {
  test('docs/configuration.md holds exactly the table the parameter table renders', () => {
    const table = extractTable(doc);
    assert.notEqual(table, null, `${TABLE_START} / ${TABLE_END} missing`);
    assert.equal(table, renderConfigTable(), `the table is stale; regenerate it with: ${REGENERATE}`);
  });

  test('has one row per parameter, naming its alias and each onlyOff value', () => {
    const rows = renderConfigTable().trimEnd().split('\n').slice(2);
    assert.equal(rows.length, parameters.length);
    parameters.forEach((def, i) => {
      const row = rows[i]!;
      assert.ok(row.startsWith(`| \`${def.name}\``), row);
      if (def.alias) assert.ok(row.includes(`alias \`${def.alias}\``), row);
      if (def.onlyOff) {
        assert.ok(row.includes(def.feature ?? '\u0000'), row);
        const spelled = OFF_SPELLING[def.name];
        for (const v of spelled === undefined ? def.onlyOff : [spelled]) assert.ok(row.includes(v === '' ? '`""`' : `\`${v}\``), row);
      }
      if (def.immutable) assert.ok(row.includes('startup only'), row);
    });
  });

  test('the hand-written notes only name directives that exist, with the right kinds', () => {
    const byName = new Map(parameters.map((d) => [d.name, d]));
    const noted = [...Object.keys(REDIS_DEFAULTS), ...Object.keys(DEFAULT_TEXT), ...RESTART_ONLY, ...Object.keys(OFF_SPELLING), ...REDOUBT_ONLY];
    for (const name of noted) {
      assert.ok(byName.has(name), name);
    }
    for (const name of Object.keys(SPECIAL_SYNTAX)) assert.equal(byName.get(name)?.kind, 'special', name);
    for (const name of Object.keys(STRING_RULES)) assert.equal(byName.get(name)?.kind, 'string', name);
    for (const name of Object.keys(OFF_SPELLING)) {
      const def = byName.get(name)!;
      const value = new Config().parse(def, OFF_SPELLING[name]!.split(' '));
      assert.ok(!(value instanceof Error), `${name} ${OFF_SPELLING[name]}: ${String(value)}`);
    }
  });

  test('regenerating replaces only the table', () => {
    const stale = doc.replace(/\| `port` \|[^\n]*\n/, '');
    assert.notEqual(stale, doc);
    assert.equal(replaceTable(stale), replaceTable(doc));
    assert.equal(replaceTable(doc), doc.slice(0, doc.indexOf(TABLE_START) + TABLE_START.length) + '\n' + renderConfigTable() + doc.slice(doc.indexOf(TABLE_END)));
  });

  test('the program prints the table', () => {
    const r = spawnSync(process.execPath, [join(root, 'dist/src/config/doc-table.js')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, renderConfigTable());
  });
});

describe('command lines in the documents', () => {
  const help = realHelp();
  const helpLines = help.split('\n').map((l) => l.trimEnd());
  // The usage lines: from "Usage:" to the first blank line.
  const from = helpLines.findIndex((l) => l.startsWith('Usage: '));
  const usage = helpLines.slice(from, helpLines.indexOf('', from)).join('\n');

  test('every line of the quoted --help block is in the real --help output', () => {
    const block = between(doc, '<!-- help-usage:start -->', '<!-- help-usage:end -->');
    const quoted = codeLines(block).map(({ line }) => line.trimEnd()).filter((l) => l !== '');
    assert.ok(quoted.length >= 4);
    for (const line of quoted) assert.ok(helpLines.includes(line), `not in redoubt --help: ${JSON.stringify(line)}`);
  });

  test('every single option the documents name is real', () => {
    const config = new Config();
    for (const [file, text] of [['docs/configuration.md', doc], ['README.md', readme], ['docs/operations.md', operations]] as const) {
      // Inline options in this document's prose are all redoubt's; the others also name other tools'.
      const spans = file !== 'docs/configuration.md' ? [] : [...text.matchAll(/`(-{1,2}[a-z][a-z0-9-]*)`/g)].map((m) => m[1]!);
      for (const line of codeLines(text)) for (const args of invocations(line.line)) spans.push(...args.filter((a) => /^-{1,2}[a-z]/.test(a)));
      for (const opt of new Set(spans)) {
        const cli = parseCommandLine([opt]);
        if (cli.kind === 'help' || cli.kind === 'version') {
          assert.match(usage, new RegExp(`(^|[ |])${opt}( |$)`, 'm'), `${file}: ${opt} is not in the usage lines of redoubt --help`);
        } else if (cli.kind === 'unsupported') {
          const r = spawnSync(process.execPath, [REDOUBT_MAIN, opt], { encoding: 'utf8' });
          assert.equal(r.status, 1, `${file}: ${opt}`);
          assert.match(r.stderr, /is not supported by Redoubt/);
        } else {
          assert.ok(opt.startsWith('--') && config.lookup(opt.slice(2)), `${file}: ${opt} is neither a redoubt option nor a directive`);
        }
      }
    }
  });

  test('the --help and --version the documents use do what they say', () => {
    assert.equal(spawnSync(process.execPath, [REDOUBT_MAIN, '-h'], { encoding: 'utf8' }).stdout, help);
    for (const flag of ['-v', '--version']) {
      const r = spawnSync(process.execPath, [REDOUBT_MAIN, flag], { encoding: 'utf8' });
      assert.equal(r.status, 0);
      assert.match(r.stdout, /^Redoubt v=\S+ redis_version=7\.0\.\d+ node=v\d+\S* bits=64\n$/);
    }
  });

  test('every example command line loads (documents and --help examples)', () => {
    let count = 0;
    const sources: [string, { line: string }[]][] = [
      ['docs/configuration.md', codeLines(doc)],
      ['README.md', codeLines(readme)],
      ['docs/operations.md', codeLines(operations)],
      // --help examples: the command, then two or more spaces, then what it does.
      ['redoubt --help', helpLines.filter((l) => /^\s+redoubt /.test(l)).map((line) => ({ line }))],
    ];
    for (const [file, lines] of sources) {
      for (const { line } of lines) {
        // A synopsis, not a command; the tools (audit, check-rdb, check-aof) take their own arguments.
        if (line.includes('[') || /^Usage:/.test(line.trim()) || /^\s*redoubt (audit|check-rdb|check-aof)\b/.test(line)) continue;
        for (const args of invocations(line)) {
          const cli = parseCommandLine(args);
          if (cli.kind === 'help' || cli.kind === 'version') continue;
          loadFlags(args, `${file}: ${line.trim()}`);
          count++;
        }
      }
    }
    assert.ok(count >= 8, `only ${count} example command lines found`);
  });

  test('the example config file loads line by line', () => {
    const lines = codeLines(doc).filter((l) => l.lang === 'conf').map((l) => l.line);
    assert.ok(lines.length >= 5);
    const loader = new ConfigLoader(new Config());
    // Its include names a wildcard that matches nothing here, which Redis accepts.
    loader.loadText(lines.join('\n'), { label: 'the documentation', unit: 'line' });
    assert.equal(loader.config.str('requirepass'), 'a long secret with spaces');
    assert.deepEqual(loader.renames.map((r) => [r.from, r.to]), [['FLUSHALL', '']]);
  });
});

/** CONFIG GET of every directive of a redis-server started with no config, through a unix socket only. */
async function redisDefaults(): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'redoubt-docs-'));
  const sock = join(dir, 'redis.sock');
  // Port 0: no TCP listener, so the stock `bind * -::*` exposes nothing while it runs.
  const child: ChildProcess = spawn('redis-server', ['--port', '0', '--unixsocket', sock, '--unixsocketperm', '700'], {
    cwd: dir,
    stdio: 'ignore',
  });
  try {
    const deadline = Date.now() + 15000;
    while (!existsSync(sock)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 25));
    }
    // Hidden directives answer only to their exact names.
    const hidden = parameters.filter((d) => d.hidden).map((d) => d.name);
    const out = execFileSync('redis-cli', ['-s', sock, 'CONFIG', 'GET', '*', ...hidden], { encoding: 'latin1' }).split('\n');
    out.pop();
    const m = new Map<string, string>();
    for (let i = 0; i + 1 < out.length; i += 2) m.set(out[i]!, out[i + 1]!);
    return m;
  } finally {
    try {
      execFileSync('redis-cli', ['-s', sock, 'SHUTDOWN', 'NOSAVE'], { stdio: 'ignore' });
    } catch {
      child.kill('SIGKILL');
    }
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('defaults that differ from Redis', () => {
  test('are exactly the documented ones, compared with a live redis-server', async () => {
    const theirs = await redisDefaults();
    assert.ok(theirs.size > 180);
    const config = new Config();
    // Values that depend on how each server was started, not on defaults.
    const started = new Set(['port', 'unixsocket', 'unixsocketperm', 'dir']);
    const differ: Record<string, string> = {};
    const missing: string[] = [];
    for (const def of parameters) {
      const redis = theirs.get(def.name);
      if (redis === undefined) missing.push(def.name);
      if (redis === undefined || started.has(def.name)) continue;
      if (config.render(def) !== redis) differ[def.name] = redis;
    }
    assert.deepEqual(differ, REDIS_DEFAULTS);
    // The table marks exactly these as Redoubt's own.
    assert.deepEqual(missing.sort(), [...REDOUBT_ONLY].sort());
  });

  test('the document names every Redoubt-only directive and every restart-only one in its prose', () => {
    const prose = doc.slice(0, doc.indexOf(TABLE_START));
    for (const name of [...REDOUBT_ONLY, ...RESTART_ONLY]) assert.ok(prose.includes(`\`${name}\``), name);
  });

  test('the table of differences in the document says the same', () => {
    const section = between(doc, '## Defaults that differ from Redis', '## Directive reference');
    const rows = [...section.matchAll(/^\| `([^`]+)` \| `([^`]*)` \| `([^`]*)` \|/gm)].map((m) => [m[1]!, m[2]!, m[3]!]);
    const config = new Config();
    assert.deepEqual(
      rows,
      Object.entries(REDIS_DEFAULTS).map(([name, redis]) => [name, config.render(config.lookup(name)!) || '""', redis || '""']),
    );
  });
});

describe('the CONFIG SET column against a running server', () => {
  let server: RunningServer;
  let c: RawClient;
  before(async () => {
    server = await startRedoubt();
    c = await RawClient.connect(server.port);
  });
  after(async () => {
    c.close();
    await server.stop();
  });

  const get = async (name: string): Promise<string> => {
    const r = decode(Buffer.from(await c.call('CONFIG', 'GET', name), 'latin1')) as RespValue[];
    assert.equal(r.length, 2, name);
    return r[1] as string;
  };

  test('immutable, protected and restart-only directives are refused; the rest take their own value back', async () => {
    // A value other than the one in force, for directives refused only when they change.
    const other: Record<string, string> = { bind: '127.0.0.2' };
    for (const def of parameters) {
      const value = await get(def.name);
      const reply = await c.call('CONFIG', 'SET', def.name, RESTART_ONLY.has(def.name) ? other[def.name]! : value);
      const failed = `-ERR CONFIG SET failed (possibly related to argument '${def.name}') - `;
      if (def.immutable) assert.equal(reply, `${failed}can't set immutable config\r\n`, def.name);
      else if (RESTART_ONLY.has(def.name)) assert.ok(reply.startsWith(failed) && reply.includes('not supported yet'), `${def.name}: ${reply}`);
      else if (def.protected) assert.equal(reply, `${failed}can't set protected config\r\n`, def.name);
      else assert.equal(reply, '+OK\r\n', `${def.name} ${JSON.stringify(value)}`);
      assert.equal(await get(def.name), value, def.name);
    }
  });
});
