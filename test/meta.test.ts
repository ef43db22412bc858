// The command table checked as data: every command and subcommand must carry flags, ACL
// categories, key specs and docs that agree with the real redis-server 7.0's COMMAND INFO and
// COMMAND DOCS, and must be exercised by the differential corpus (or, when its replies cannot be
// compared, by a named test file). Each failure lists every offending command and why.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CommandTable, createCommandTable, type Command } from '../src/commands/registry.js';
import type { CommandSpec, DocsTable, KeySpec } from '../src/commands/spec.js';
import { startRedis, startValkey, type RunningServer } from './helpers/servers.js';
import { METADATA_OF_72 } from './helpers/command-info.js';
import { RawClient } from './helpers/raw-client.js';
import { decode, pairs, show, type RespValue } from './helpers/resp.js';
import { loadCorpus } from './helpers/corpus.js';

const TEST_DIR = fileURLToPath(new URL('../../test/', import.meta.url));

/**
 * Commands whose replies cannot be compared in the corpus (they stop the server, depend on other
 * connections or on time); each must instead be named in the test file given, for the reason given.
 */
const TESTED_ELSEWHERE: Record<string, { file: string; reason: string }> = {
  shutdown: { file: 'cli.test.ts', reason: 'stops the server; the corpus needs it running' },
  save: { file: 'rdb-save.test.ts', reason: 'writes a file, which redis-server loads to check it' },
  bgsave: { file: 'rdb-save.test.ts', reason: 'writes a file in the background, which redis-server loads to check it' },
  lastsave: { file: 'rdb-save.test.ts', reason: 'answers the time of the last save, which differs between servers' },
  quit: { file: 'protocol.test.ts', reason: 'closes the connection; what matters is that nothing after it runs' },
  'client|no-touch': { file: 'client.test.ts', reason: 'Redis 7.0 lacks it, so no differential case is possible' },
  'client|setinfo': { file: 'client.test.ts', reason: 'Redis 7.0 lacks it, so no differential case is possible' },
  'latency|histogram': { file: 'latency.test.ts', reason: 'timings differ between servers: compared by structure, commands and counts' },
  monitor: { file: 'monitor.test.ts', reason: 'a stream of lines with time stamps and ports, compared with redis-server once normalized' },
  bgrewriteaof: { file: 'aof.test.ts', reason: 'writes files; its effect is checked on disk and by restarting' },
  waitaof: { file: 'aof.test.ts', reason: 'Redis 7.0 lacks it, and it needs appendonly on' },
  migrate: { file: 'migrate.test.ts', reason: 'connects to a second server, and needs enable-migrate-command, which Redis lacks' },
  sync: { file: 'replication.test.ts', reason: 'turns the connection into a replication stream' },
  psync: { file: 'replication.test.ts', reason: 'turns the connection into a replication stream' },
  replconf: { file: 'replication.test.ts', reason: 'part of the replication handshake' },
  role: { file: 'replication.test.ts', reason: 'answers with ports and offsets of a live replication' },
  wait: { file: 'replication.test.ts', reason: 'needs replicas to count' },
  replicaof: { file: 'replication.test.ts', reason: 'connects to another server' },
  slaveof: { file: 'replication.test.ts', reason: 'connects to another server' },
  failover: { file: 'replication-failover.test.ts', reason: 'swaps roles with a live replica; its errors are compared with redis-server there' },
};

/** Commands Redoubt adds on purpose, which Redis 7.0 does not have: name → reason. */
const REDOUBT_ONLY: Record<string, string> = {
  'client|setinfo': 'Redis 7.2 addition that clients (node-redis 5+, ioredis 6) send on connect; harmless to offer',
  'client|no-touch': 'Redis 7.2 addition: lets monitoring tools read without changing idle times',
  waitaof: 'Redis 7.2 addition: a client can wait until its writes are fsynced to the AOF',
  ...Object.fromEntries(
    ['hexpire', 'hpexpire', 'hexpireat', 'hpexpireat', 'httl', 'hpttl', 'hexpiretime', 'hpexpiretime', 'hpersist', 'hgetex', 'hsetex', 'hgetdel'].map(
      (n) => [n, 'Redis 7.4/8.0 hash-field expiration: COMMAND INFO compared with Redis 8.0.2 in hash-ttl.test.ts, replies in corpus/hash-ttl.redis'],
    ),
  ),
};

/**
 * Commands Redis 7.0 marks CMD_PROTECTED (gated by enable-debug-command / enable-module-command).
 * COMMAND INFO does not show that flag, so it is checked here rather than against Redis.
 */
const PROTECTED = new Set(['debug', 'module|load', 'module|loadex', 'module|unload']);

/** Redis containers (CONFIG, CLIENT...) and a few MEMORY subcommands have no flags at all. */
const FLAGLESS_IN_REDIS = new Set(['memory|purge', 'memory|doctor', 'memory|stats', 'memory|malloc-stats']);

const table = createCommandTable();
const commands = [...table.walk()];

/** Collects "name: problem" lines and fails once with all of them. */
function expectNone(problems: string[], what: string): void {
  assert.equal(problems.length, 0, `${problems.length} ${what}:\n  ${problems.join('\n  ')}`);
}

describe('the command table on its own', () => {
  test('every command has a handler or subcommands, a lower-case name and an integer arity', () => {
    const problems: string[] = [];
    for (const cmd of commands) {
      const s = cmd.spec;
      if (s.name !== s.name.toLowerCase()) problems.push(`${cmd.fullName}: name is not lower-case`);
      if (s.arity === 0 || !Number.isInteger(s.arity)) problems.push(`${cmd.fullName}: arity ${s.arity}`);
      const container = s.subcommands !== undefined;
      if (container && s.subcommands.length === 0) problems.push(`${cmd.fullName}: container without subcommands`);
      // A container may also run on its own (COMMAND with no subcommand).
      if (!container && s.run === undefined) problems.push(`${cmd.fullName}: no handler`);
    }
    expectNone(problems, 'malformed rows');
  });

  test('every command has flags (containers excepted) and ACL categories', () => {
    const problems: string[] = [];
    for (const cmd of commands) {
      const s = cmd.spec;
      if (s.flags.length === 0 && s.subcommands === undefined && !FLAGLESS_IN_REDIS.has(cmd.fullName)) problems.push(`${cmd.fullName}: no flags`);
      if (s.acl.length === 0) problems.push(`${cmd.fullName}: no ACL categories`);
      if (!s.acl.includes('slow') && !s.acl.includes('fast')) problems.push(`${cmd.fullName}: neither @fast nor @slow`);
      if (s.acl.includes('fast') !== s.flags.includes('fast')) problems.push(`${cmd.fullName}: @fast category and fast flag disagree`);
      if (new Set(s.flags).size !== s.flags.length) problems.push(`${cmd.fullName}: duplicate flags`);
      if (new Set(s.acl).size !== s.acl.length) problems.push(`${cmd.fullName}: duplicate ACL categories`);
    }
    expectNone(problems, 'commands without flags or categories');
  });

  test('exactly the commands Redis protects carry the protected flag', () => {
    const problems: string[] = [];
    for (const cmd of commands) {
      if (cmd.spec.flags.includes('protected') !== PROTECTED.has(cmd.fullName)) {
        problems.push(`${cmd.fullName}: ${PROTECTED.has(cmd.fullName) ? 'lacks' : 'must not have'} the protected flag`);
      }
    }
    expectNone(problems, 'protected flag mismatches');
  });

  test('key specs are consistent with the command flags', () => {
    const problems: string[] = [];
    const access = ['RO', 'RW', 'OW', 'RM'] as const;
    for (const cmd of commands) {
      const s = cmd.spec;
      s.keys.forEach((k, i) => {
        const where = `${cmd.fullName} key spec ${i}`;
        const modes = access.filter((a) => k.flags.includes(a));
        // Shard channels (SPUBLISH, SSUBSCRIBE) are NOT_KEY specs and carry no access mode.
        if (modes.length !== 1 && !k.flags.includes('NOT_KEY')) problems.push(`${where}: needs exactly one of RO/RW/OW/RM, has [${k.flags.join(' ')}]`);
        // Redis has one exception: PFCOUNT is readonly yet may rewrite its cached cardinality.
        if (s.flags.includes('readonly') && !k.flags.includes('RO') && cmd.fullName !== 'pfcount') {
          problems.push(`${where}: a readonly command writing a key`);
        }
        if ('index' in k.begin && k.begin.index < 1) problems.push(`${where}: begins at index ${k.begin.index}`);
        if (s.arity > 0 && 'index' in k.begin && k.begin.index >= s.arity) problems.push(`${where}: begins past the arity`);
      });
      const hasKeyAcl = s.acl.some((a) => ['keyspace', 'string', 'bitmap', 'hash', 'list', 'set', 'sortedset', 'stream', 'hyperloglog', 'geo'].includes(a));
      const keyless = ['flushdb', 'flushall', 'dbsize', 'keys', 'scan', 'randomkey', 'swapdb', 'lolwut'];
      if ((s.flags.includes('write') || s.flags.includes('readonly')) && s.keys.length === 0 && hasKeyAcl && !keyless.includes(cmd.fullName)) {
        problems.push(`${cmd.fullName}: a data command without key specs`);
      }
      // XREADGROUP is Redis's exception: it writes the consumer group, not the stream key.
      if (s.flags.includes('write') && s.keys.length > 0 && s.keys.every((k) => k.flags.includes('RO')) && cmd.fullName !== 'xreadgroup') {
        problems.push(`${cmd.fullName}: a write command whose key specs are all RO`);
      }
      const argKeys = new Set<number>();
      const visit = (args: NonNullable<NonNullable<typeof s.docs>['arguments']>): void => {
        for (const a of args) {
          if (a.keySpecIndex !== undefined) argKeys.add(a.keySpecIndex);
          if (a.arguments) visit(a.arguments);
        }
      };
      if (s.docs?.arguments) visit(s.docs.arguments);
      for (const i of argKeys) if (i >= s.keys.length) problems.push(`${cmd.fullName}: a documented argument points at key spec ${i}, which does not exist`);
    }
    expectNone(problems, 'inconsistent key specs');
  });

  test('every command has docs: summary, since and group', () => {
    const problems: string[] = [];
    for (const cmd of commands) {
      const d = cmd.spec.docs;
      if (d === undefined) {
        problems.push(`${cmd.fullName}: no docs`);
        continue;
      }
      if (d.summary.trim() === '') problems.push(`${cmd.fullName}: empty summary`);
      if (!/^\d+\.\d+\.\d+$/.test(d.since)) problems.push(`${cmd.fullName}: since "${d.since}" is not a version`);
      if (d.group.trim() === '') problems.push(`${cmd.fullName}: empty group`);
    }
    expectNone(problems, 'commands without docs');
  });

  test('each docs file (src/commands/docs/) has exactly the commands of its family table', async () => {
    const problems: string[] = [];
    const docsDir = fileURLToPath(new URL('../src/commands/docs/', import.meta.url));
    const files = readdirSync(docsDir).filter((f) => f.endsWith('.js'));
    assert.ok(files.length > 20, `docs files found: ${files.length}`);
    for (const f of files) {
      const docsModule = (await import(new URL(`../src/commands/docs/${f}`, import.meta.url).href)) as Record<string, DocsTable>;
      const family = (await import(new URL(`../src/commands/${f}`, import.meta.url).href)) as Record<string, unknown>;
      const tables = Object.entries(family).filter(([name]) => name.endsWith('Commands'));
      const docsTables = Object.values(docsModule);
      if (tables.length !== 1 || docsTables.length !== 1) {
        problems.push(`${f}: ${tables.length} command tables, ${docsTables.length} docs tables`);
        continue;
      }
      const names = new Set(new CommandTable(tables[0]![1] as readonly CommandSpec[]).all.flatMap((cmd) => [cmd, ...(cmd.subcommands?.values() ?? [])]).map((cmd) => cmd.fullName));
      const documented = new Set(Object.keys(docsTables[0]!));
      for (const name of documented) if (!names.has(name)) problems.push(`docs/${f}: ${name} is not a command of commands/${f}`);
      for (const name of names) if (!documented.has(name)) problems.push(`docs/${f}: no entry for ${name}`);
    }
    expectNone(problems, 'docs entries without a command, or commands without an entry');
  });
});

describe('the command table against redis-server 7.0', () => {
  let redis: RunningServer;
  const info = new Map<string, Map<string, RespValue> | null>();
  const docs = new Map<string, Map<string, RespValue> | null>();

  let valkey: RunningServer;
  before(async () => {
    [redis, valkey] = await Promise.all([startRedis(), startValkey()]);
    const c = await RawClient.connect(redis.port);
    try {
      const names = commands.map((cmd) => cmd.fullName).filter((n) => !METADATA_OF_72.has(n));
      for (const name of names) c.write(RawClient.encode(['COMMAND', 'INFO', name]));
      for (const name of names) {
        const [entry] = decode((await c.read())!) as RespValue[];
        info.set(name, Array.isArray(entry) ? infoFields(entry) : null);
      }
      for (const name of names) c.write(RawClient.encode(['COMMAND', 'DOCS', name]));
      for (const name of names) {
        const reply = decode((await c.read())!) as RespValue[];
        docs.set(name, reply.length === 2 ? pairs(reply[1]!) : null);
      }
    } finally {
      c.close();
    }
    // What Redis 7.2 changed comes from valkey-server 8.0.
    const v = await RawClient.connect(valkey.port);
    try {
      for (const name of METADATA_OF_72) {
        v.write(RawClient.encode(['COMMAND', 'INFO', name]));
        const [entry] = decode((await v.read())!) as RespValue[];
        info.set(name, Array.isArray(entry) ? infoFields(entry) : null);
        v.write(RawClient.encode(['COMMAND', 'DOCS', name]));
        const reply = decode((await v.read())!) as RespValue[];
        docs.set(name, reply.length === 2 ? pairs(reply[1]!) : null);
      }
    } finally {
      v.close();
    }
  });
  after(() => Promise.all([redis.stop(), valkey.stop()]));

  function infoFields(e: RespValue[]): Map<string, RespValue> {
    return new Map<string, RespValue>([
      ['arity', e[1]!],
      ['flags', e[2]!],
      ['acl', e[6]!],
      ['tips', e[7]!],
      ['keys', e[8]!],
    ]);
  }

  const strings = (v: RespValue | undefined): string[] => (Array.isArray(v) ? v.map(String) : []);
  const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join() === [...b].sort().join();

  /** A Redoubt key spec in the shape COMMAND INFO shows it. */
  function shapeOf(k: KeySpec): string {
    const begin =
      'index' in k.begin ? `index ${k.begin.index}` : 'keyword' in k.begin ? `keyword ${k.begin.keyword} startfrom ${k.begin.startFrom}` : 'unknown';
    const f = k.find;
    const find =
      'range' in f
        ? `range lastkey ${f.range.lastKey} keystep ${f.range.keyStep} limit ${f.range.limit}`
        : 'keynum' in f
          ? `keynum keynumidx ${f.keynum.keyNumIdx} firstkey ${f.keynum.firstKey} keystep ${f.keynum.keyStep}`
          : 'unknown';
    return `flags [${[...k.flags].sort().join(' ')}] begin ${begin} find ${find}`;
  }

  /** A key spec from Redis's COMMAND INFO in the same shape. */
  function redisShape(v: RespValue): string {
    const m = pairs(v);
    // COMMAND INFO spells RO/RW/OW/RM upper-case and the rest lower-case; the table upper-cases all.
    const flags = strings(m.get('flags')).map((f) => f.toUpperCase()).sort();
    const b = pairs(m.get('begin_search')!);
    const bspec = pairs(b.get('spec')!);
    const bt = show(b.get('type'));
    const begin = bt === 'index' ? `index ${show(bspec.get('index'))}` : bt === 'keyword' ? `keyword ${show(bspec.get('keyword'))} startfrom ${show(bspec.get('startfrom'))}` : 'unknown';
    const fk = pairs(m.get('find_keys')!);
    const fspec = pairs(fk.get('spec')!);
    const ft = show(fk.get('type'));
    const find =
      ft === 'range'
        ? `range lastkey ${show(fspec.get('lastkey'))} keystep ${show(fspec.get('keystep'))} limit ${show(fspec.get('limit'))}`
        : ft === 'keynum'
          ? `keynum keynumidx ${show(fspec.get('keynumidx'))} firstkey ${show(fspec.get('firstkey'))} keystep ${show(fspec.get('keystep'))}`
          : 'unknown';
    return `flags [${flags.join(' ')}] begin ${begin} find ${find}`;
  }

  function each(check: (cmd: Command, r: Map<string, RespValue>) => string | null): string[] {
    const problems: string[] = [];
    for (const cmd of commands) {
      const r = info.get(cmd.fullName);
      if (r === null || r === undefined) continue;
      const p = check(cmd, r);
      if (p !== null) problems.push(`${cmd.fullName}: ${p}`);
    }
    return problems;
  }

  test('every command exists in Redis 7.0', () => {
    expectNone(
      commands
        .filter((cmd) => info.get(cmd.fullName) === null && REDOUBT_ONLY[cmd.fullName] === undefined)
        .map((cmd) => `${cmd.fullName}: unknown to redis-server 7.0`),
      'commands Redis does not have',
    );
  });

  test('arity matches', () => {
    expectNone(each((cmd, r) => (r.get('arity') === cmd.spec.arity ? null : `arity ${cmd.spec.arity}, Redis ${show(r.get('arity'))}`)), 'arity mismatches');
  });

  test('flags match (movablekeys derived from the key specs; protected is not shown by Redis)', () => {
    expectNone(
      each((cmd, r) => {
        const theirs = strings(r.get('flags'));
        // Flags Redis keeps to itself: COMMAND INFO never shows protected or may_replicate.
        const ours = cmd.spec.flags.filter((f) => f !== 'movablekeys' && f !== 'protected' && f !== 'may_replicate');
        const problems: string[] = [];
        if (!sameSet(ours, theirs.filter((f) => f !== 'movablekeys'))) problems.push(`flags [${ours.join(' ')}], Redis [${theirs.join(' ')}]`);
        if (cmd.movableKeys !== theirs.includes('movablekeys')) problems.push(`movablekeys ${cmd.movableKeys}, Redis ${theirs.includes('movablekeys')}`);
        return problems.length === 0 ? null : problems.join('; ');
      }),
      'flag mismatches',
    );
  });

  test('ACL categories match', () => {
    expectNone(
      each((cmd, r) => {
        const theirs = strings(r.get('acl')).map((a) => a.replace(/^@/, ''));
        return sameSet(cmd.spec.acl, theirs) ? null : `[${cmd.spec.acl.join(' ')}], Redis [${theirs.join(' ')}]`;
      }),
      'ACL category mismatches',
    );
  });

  test('tips match', () => {
    expectNone(
      each((cmd, r) => {
        const theirs = strings(r.get('tips'));
        const ours = cmd.spec.tips ?? [];
        return sameSet(ours, theirs) ? null : `[${ours.join(' ')}], Redis [${theirs.join(' ')}]`;
      }),
      'tip mismatches',
    );
  });

  test('key specs match (flags, begin_search, find_keys)', () => {
    expectNone(
      each((cmd, r) => {
        const theirs = (r.get('keys') as RespValue[]).map(redisShape);
        const ours = cmd.spec.keys.map(shapeOf);
        if (ours.length !== theirs.length) return `${ours.length} key specs, Redis ${theirs.length}: ${theirs.join(' | ')}`;
        const diff = ours.flatMap((o, i) => (o === theirs[i] ? [] : [`spec ${i}: ${o}, Redis ${theirs[i]}`]));
        return diff.length === 0 ? null : diff.join('; ');
      }),
      'key spec mismatches',
    );
  });

  test('subcommands are the ones Redis has', () => {
    const problems: string[] = [];
    for (const cmd of table.all) {
      if (cmd.subcommands === null) continue;
      const d = docs.get(cmd.fullName);
      const theirs = d?.get('subcommands');
      const names = theirs === undefined ? [] : [...pairs(theirs).keys()];
      for (const sub of cmd.subcommands.values()) if (!names.includes(sub.fullName) && REDOUBT_ONLY[sub.fullName] === undefined) problems.push(`${sub.fullName}: not a subcommand in Redis 7.0`);
    }
    expectNone(problems, 'unknown subcommands');
  });

  test('docs agree with COMMAND DOCS: since, group, doc flags, deprecation; complexity present when Redis has one', () => {
    const problems: string[] = [];
    for (const cmd of commands) {
      const d = cmd.spec.docs;
      const r = docs.get(cmd.fullName);
      if (d === undefined || r === null || r === undefined) continue;
      const p: string[] = [];
      if (d.since !== r.get('since')) p.push(`since ${d.since}, Redis ${show(r.get('since'))}`);
      if (d.group !== r.get('group')) p.push(`group ${d.group}, Redis ${show(r.get('group'))}`);
      if (r.has('complexity') && !d.complexity) p.push('no complexity');
      if (!sameSet(d.docFlags ?? [], strings(r.get('doc_flags')))) p.push(`doc flags [${(d.docFlags ?? []).join(' ')}], Redis [${strings(r.get('doc_flags')).join(' ')}]`);
      if ((d.deprecatedSince ?? null) !== (r.get('deprecated_since') ?? null)) p.push(`deprecated since ${d.deprecatedSince}, Redis ${show(r.get('deprecated_since'))}`);
      if ((d.replacedBy ?? null) !== (r.get('replaced_by') ?? null)) p.push(`replaced by ${d.replacedBy}, Redis ${show(r.get('replaced_by'))}`);
      if (p.length > 0) problems.push(`${cmd.fullName}: ${p.join('; ')}`);
    }
    expectNone(problems, 'docs mismatches');
  });
});

describe('every command is tested', () => {
  test('each command appears in the differential corpus or is named in its designated test file', () => {
    const covered = new Set<string>();
    for (const c of loadCorpus()) {
      for (const step of c.steps) {
        if (step.kind !== 'command') continue;
        const name = step.argv[0]!.toLowerCase();
        covered.add(name);
        const cmd = table.lookup(name);
        if (cmd?.subcommands && step.argv.length >= 2) covered.add(`${name}|${step.argv[1]!.toLowerCase()}`);
      }
    }
    const testFiles = new Map(readdirSync(TEST_DIR).filter((f) => f.endsWith('.test.ts')).map((f) => [f, readFileSync(join(TEST_DIR, f), 'utf8')]));
    const problems: string[] = [];
    for (const cmd of commands) {
      if (covered.has(cmd.fullName)) continue;
      if (cmd.subcommands !== null && [...cmd.subcommands.values()].some((s) => covered.has(s.fullName))) continue;
      const elsewhere = TESTED_ELSEWHERE[cmd.fullName];
      if (elsewhere !== undefined) {
        const text = testFiles.get(elsewhere.file);
        const word = cmd.spec.name;
        if (text !== undefined && new RegExp(`['"\`]${word}\\b`, 'i').test(text)) continue;
        problems.push(`${cmd.fullName}: allowed outside the corpus (${elsewhere.reason}) but not named in test/${elsewhere.file}`);
        continue;
      }
      problems.push(`${cmd.fullName}: in no test/corpus/*.redis case`);
    }
    for (const name of Object.keys(TESTED_ELSEWHERE)) {
      if (!commands.some((c) => c.fullName === name)) problems.push(`${name}: listed in TESTED_ELSEWHERE but not in the table`);
    }
    expectNone(problems, 'untested commands');
  });
});
