// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw]
// [KEYS k ...]: DUMP here, RESTORE (RESTORE-ASKING in cluster mode) there, DEL here for what the
// target acknowledged, as Redis's migrateCommand, with its retry rule and error strings. The
// network half (cached connections, timeouts, keys in flight) is server/migrate.ts.

import * as E from '../errors.js';
import { arg, is, parseInt64 } from '../protocol/args.js';
import { key, keyAfter, withDocs, type CommandSpec } from './spec.js';
import { migrateDocs } from './docs/migrate.js';
import type { Client } from '../server/client.js';
import type { Database } from '../store/database.js';
import { typeOf } from '../store/types.js';
import { notify, NOTIFY_GENERIC } from '../server/notify.js';
import { createDumpPayload } from '../persistence/rdb/dump-payload.js';
import { UnsupportedValueError } from '../persistence/rdb/value.js';
import type { MigrateLink } from '../server/migrate.js';
import { rdbWriteOptions } from './dump.js';

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Redis's migrateGetKeys: the key argument, or every argument after KEYS when the key is "". */
function migrateKeys(argv: readonly string[]): number[] {
  if (argv.length > 6 && argv[3] === '') {
    for (let i = 6; i < argv.length; i++) {
      if (is(argv[i] ?? '', 'keys')) return argv.map((_, j) => j).slice(i + 1);
    }
  }
  return [3];
}

/** AUTH's password, AUTH2's user name and password: shown as "(redacted)". */
function migrateSecrets(argv: readonly string[]): number[] {
  const out: number[] = [];
  for (let j = 6; j < argv.length; j++) {
    const a = argv[j] ?? '';
    if (is(a, 'keys')) break;
    if (is(a, 'auth') && j + 1 < argv.length) out.push(++j);
    else if (is(a, 'auth2') && j + 2 < argv.length) out.push(++j, ++j);
  }
  return out;
}

interface Options {
  copy: boolean;
  replace: boolean;
  username: string | null;
  password: string | null;
  firstKey: number;
  timeout: number;
  dbid: bigint;
}

function parseOptions(c: Client, argv: string[]): Options | null {
  const o: Options = { copy: false, replace: false, username: null, password: null, firstKey: 3, timeout: 0, dbid: 0n };
  for (let j = 6; j < argv.length; j++) {
    const a = argv[j] ?? '';
    const more = argv.length - 1 - j;
    if (is(a, 'copy')) {
      o.copy = true;
    } else if (is(a, 'replace')) {
      o.replace = true;
    } else if (is(a, 'auth')) {
      if (more < 1) return syntax(c);
      o.password = argv[++j] ?? '';
    } else if (is(a, 'auth2')) {
      if (more < 2) return syntax(c);
      o.username = argv[++j] ?? '';
      o.password = argv[++j] ?? '';
    } else if (is(a, 'keys')) {
      if (arg(argv, 3) !== '') {
        c.reply.error(E.MIGRATE_KEYS_NEEDS_EMPTY_KEY);
        return null;
      }
      o.firstKey = j + 1;
      break;
    } else {
      return syntax(c);
    }
  }
  const timeout = parseInt64(arg(argv, 5));
  const dbid = parseInt64(arg(argv, 4));
  if (timeout === null || timeout < LONG_MIN || timeout > LONG_MAX || dbid === null) {
    c.reply.error(E.NOT_INTEGER);
    return null;
  }
  // Redis's `if (timeout <= 0) timeout = 1000`; no timer can wait longer than 2^31-1 ms.
  o.timeout = timeout <= 0n ? 1000 : Number(timeout > 2147483647n ? 2147483647n : timeout);
  o.dbid = dbid;
  return o;
}

function syntax(c: Client): null {
  c.reply.error(E.SYNTAX);
  return null;
}

/** RESP of one command. */
function encode(out: Buffer[], args: readonly (string | Buffer)[]): void {
  out.push(Buffer.from(`*${args.length}\r\n`, 'latin1'));
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    out.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, Buffer.from('\r\n', 'latin1'));
  }
}

interface Transfer {
  readonly keys: string[];
  readonly payloads: Buffer[];
  readonly ttls: number[];
}

function migrate(c: Client, argv: string[]): void {
  const o = parseOptions(c, argv);
  if (o === null) return;
  const db = c.db;
  // The keys that exist now; none at all is NOKEY, not an error (they may just have expired).
  const keys: string[] = [];
  const last = o.firstKey === 3 ? 3 : argv.length - 1;
  for (let j = o.firstKey; j <= last; j++) {
    const k = arg(argv, j);
    if (db.getRead(k) !== undefined) keys.push(k);
  }
  if (keys.length === 0) {
    c.reply.status('NOKEY');
    return;
  }
  // EXEC, scripts and the AOF loader run commands in one go: nothing may wait there.
  if (c.inExec || c.inScript) {
    c.reply.error(E.MIGRATE_CANNOT_WAIT);
    return;
  }
  const transfer = snapshot(c, db, keys);
  if (transfer === null) return;
  const server = c.server;
  const changed = server.migrations.begin(db, transfer.keys);
  let outcome: () => void = () => {};
  const release = server.holdClient(c, 2 ** 31 - 1, () => outcome());
  void run(c, argv, o, transfer).then(
    (result) => {
      outcome = () => finish(c, db, o, transfer, result, changed);
      // The deletes happen before the writers held on these keys go on.
      release();
      server.migrations.end(db, transfer.keys);
    },
    (err: unknown) => {
      server.log.warning(`MIGRATE failed: ${err instanceof Error ? err.message : String(err)}`);
      outcome = () => c.reply.error(E.INTERNAL);
      release();
      server.migrations.end(db, transfer.keys);
    },
  );
}

/** The payload and remaining time to live of each key, made now, as Redis does before sending. */
function snapshot(c: Client, db: Database, keys: readonly string[]): Transfer | null {
  const out: Transfer = { keys: [], payloads: [], ttls: [] };
  const now = db.clock.now();
  const opts = rdbWriteOptions(c.server.config);
  for (const k of keys) {
    const v = db.getRead(k, false);
    if (v === undefined) continue;
    let ttl = 0;
    const at = db.expireAt(k);
    if (at !== undefined) {
      ttl = at - now;
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    try {
      out.payloads.push(createDumpPayload(v, opts));
    } catch (err) {
      if (!(err instanceof UnsupportedValueError)) throw err;
      c.reply.error(E.dumpUnsupported(typeOf(v)));
      return null;
    }
    out.keys.push(k);
    out.ttls.push(ttl);
  }
  return out;
}

/** What the target answered: the lines of AUTH, SELECT and each RESTORE, or how the exchange failed. */
interface Result {
  readonly authLine: string | null;
  readonly selectLine: string | null;
  readonly restoreLines: string[];
  readonly failure: 'connect' | 'write' | 'read' | null;
}

/** Redis's try_again loop: one retry on a fresh connection when nothing was processed and it was no timeout. */
async function run(c: Client, argv: readonly string[], o: Options, t: Transfer): Promise<Result> {
  const migrations = c.server.migrations;
  const host = arg(argv, 1);
  const port = arg(argv, 2);
  const restore = c.server.cluster.enabled ? 'RESTORE-ASKING' : 'RESTORE';
  for (let attempt = 0; ; attempt++) {
    const mayRetry = attempt === 0;
    const r = await migrations.withTarget(host, port, o.timeout, async (link: MigrateLink | 'timeout' | 'refused'): Promise<Result & { retry: boolean }> => {
      if (link === 'timeout') return { authLine: null, selectLine: null, restoreLines: [], failure: 'connect', retry: false };
      if (link === 'refused') return { authLine: null, selectLine: null, restoreLines: [], failure: 'write', retry: mayRetry };
      const out: Buffer[] = [];
      if (o.password !== null) encode(out, o.username !== null ? ['AUTH', o.username, o.password] : ['AUTH', o.password]);
      const select = BigInt(link.lastDbId) !== o.dbid;
      if (select) encode(out, ['SELECT', String(o.dbid)]);
      for (let j = 0; j < t.keys.length; j++) {
        const args: (string | Buffer)[] = [restore, t.keys[j] ?? '', String(t.ttls[j] ?? 0), t.payloads[j] ?? Buffer.alloc(0)];
        if (o.replace) args.push('REPLACE');
        encode(out, args);
      }
      const head = (o.password !== null ? 1 : 0) + (select ? 1 : 0);
      const ex = await migrations.exchange(link, Buffer.concat(out), head + t.keys.length, o.timeout);
      const authLine = o.password !== null ? (ex.lines[0] ?? null) : null;
      const selectLine = select ? (ex.lines[head - 1] ?? null) : null;
      const restoreLines = ex.lines.slice(head);
      const targetError = (authLine?.startsWith('-') ?? false) || (selectLine?.startsWith('-') ?? false) || restoreLines.some((l) => l.startsWith('-'));
      if (ex.failure === null) {
        if (targetError) link.lastDbId = -1;
        else link.lastDbId = Number(o.dbid);
        return { authLine, selectLine, restoreLines, failure: null, retry: false };
      }
      migrations.discard(link);
      const nothingProcessed = restoreLines.length === 0;
      return { authLine, selectLine, restoreLines, failure: ex.failure, retry: nothingProcessed && !ex.timedOut && mayRetry };
    });
    if (!r.retry) return r;
  }
}

/** Deletes what the target took (unless COPY), propagates it as one DEL, and replies. */
function finish(c: Client, db: Database, o: Options, t: Transfer, r: Result, changed: (key: string) => boolean): void {
  if (r.failure === 'connect') {
    c.reply.error(E.MIGRATE_IOERR_CONNECT);
    return;
  }
  let targetError: string | null = null;
  if (r.authLine?.startsWith('-')) targetError = r.authLine;
  else if (r.selectLine?.startsWith('-')) targetError = r.selectLine;
  const deleted: string[] = [];
  let kept = false;
  for (let j = 0; j < r.restoreLines.length; j++) {
    const line = r.restoreLines[j] ?? '';
    const k = t.keys[j];
    if (k === undefined) break;
    if (targetError !== null || line.startsWith('-')) {
      targetError ??= line;
      continue;
    }
    if (o.copy) continue;
    // A key written here while it travelled keeps its newer value here (the target has the older).
    if (changed(k)) {
      kept = true;
      continue;
    }
    if (!db.delete(k)) continue;
    notify(c, NOTIFY_GENERIC, 'del', k);
    deleted.push(k);
  }
  if (deleted.length > 0) c.server.propagation.also(db.id, ['DEL', ...deleted]);
  if (targetError !== null) c.reply.error(E.migrateTargetError(targetError.slice(1)));
  else if (r.failure !== null) c.reply.error(E.migrateIoerr(r.failure === 'write'));
  else if (kept) c.reply.error(E.MIGRATE_KEY_CHANGED);
  else c.reply.ok();
}

export const migrateCommands: readonly CommandSpec[] = withDocs(migrateDocs, [
  {
    name: 'migrate', arity: -6, flags: ['write'], acl: ['keyspace', 'write', 'slow', 'dangerous'],
    keys: [key(3, 'RW', 'ACCESS', 'DELETE'), keyAfter('KEYS', -2, { range: { lastKey: -1, keyStep: 1, limit: 0 } }, 'RW', 'ACCESS', 'DELETE', 'INCOMPLETE')],
    tips: ['nondeterministic_output'], getKeys: migrateKeys, secretArgs: migrateSecrets, run: migrate,
  },
]);
