// The connection family: PING, ECHO, QUIT, RESET, SELECT, HELLO, AUTH.

import * as E from '../errors.js';
import { parseInteger, is } from '../protocol/args.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { connectionDocs } from './docs/connection.js';
import type { Client } from '../server/client.js';
import { authenticate } from '../security/acl/gate.js';
import { throttleAttempt } from '../security/auth-throttle.js';
import { REDIS_VERSION } from '../version.js';

const PONG = Buffer.from('+PONG\r\n');
const RESET = Buffer.from('+RESET\r\n');

function ping(c: Client, argv: string[]): void {
  if (argv.length > 2) {
    c.reply.error(E.wrongArity('ping'));
    return;
  }
  const message = argv[1];
  // A RESP2 subscriber cannot tell a status reply from a message: it gets ["pong", message].
  if (c.subs !== null && c.resp === 2) {
    c.reply.array(2);
    c.reply.bulk('pong');
    c.reply.bulk(message ?? '');
  } else if (message === undefined) c.reply.raw(PONG);
  else c.reply.bulk(message);
}

function echo(c: Client, argv: string[]): void {
  c.reply.bulk(argv[1] ?? '');
}

function quit(c: Client): void {
  c.reply.ok();
  c.closeAfterReply = true;
}

function reset(c: Client): void {
  c.resetConnection();
  c.reply.raw(RESET);
}

function select(c: Client, argv: string[]): void {
  const id = parseInteger(argv[1] ?? '');
  if (id === null || id < -2147483648 || id > 2147483647) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  if (c.server.cluster.enabled && id !== 0) {
    c.reply.error(E.SELECT_IN_CLUSTER);
    return;
  }
  const db = c.server.dbs[id];
  if (db === undefined) {
    c.reply.error(E.DB_INDEX_OUT_OF_RANGE);
    return;
  }
  c.db = db;
  c.reply.ok();
}

function auth(c: Client, argv: string[]): void {
  const creds = authCredentials(c, argv);
  if (typeof creds === 'string') {
    c.reply.error(creds);
    return;
  }
  const [user, password] = creds;
  // After a run of failures the check (and the reply) may come later: see auth-throttle.ts.
  throttleAttempt(c, [user], () => {
    if (authenticate(c, user, password, argv)) c.reply.ok();
    else c.reply.error(E.WRONGPASS);
  });
}

/** AUTH's user name and password, or the error it answers without checking anything. */
function authCredentials(c: Client, argv: readonly string[]): [string, string] | string {
  if (argv.length > 3 || argv.length < 2) return E.SYNTAX;
  const [, first = '', second = ''] = argv;
  // As Redis: the one-argument form is an error while the default user has no password at all.
  if (argv.length === 2) return c.server.acl.defaultUser.nopass ? E.AUTH_NOT_CONFIGURED : ['default', first];
  return [first, second];
}

/**
 * The user names a command would check credentials for (AUTH: one; HELLO: its last AUTH option,
 * when the whole request parses): what the throttle plans for, also when EXEC runs queued ones.
 */
export function credentialAttempts(c: Client, name: string, argv: readonly string[]): string[] {
  if (name === 'auth') {
    const creds = authCredentials(c, argv);
    return typeof creds === 'string' ? [] : [creds[0]];
  }
  if (name === 'hello') return helloUsers(parseHello(argv));
  return [];
}

/** CLIENT SETNAME's validation: printable ASCII without spaces. */
export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

/**
 * HELLO's arguments as Redis 7.2's helloCommand reads them: every option is checked before any
 * takes effect, so a failed HELLO changes nothing (7.0 applied AUTH and SETNAME as it read them).
 * A later AUTH or SETNAME replaces an earlier one.
 */
type HelloRequest =
  | { readonly error: string }
  | { readonly ver: number; readonly auth: readonly [user: string, password: string] | null; readonly name: string | null };

function parseHello(argv: readonly string[]): HelloRequest {
  let ver = 0;
  let next = 1;
  if (argv.length >= 2) {
    const v = parseInteger(argv[next++] ?? '');
    if (v === null) return { error: E.HELLO_PROTO_NOT_INTEGER };
    if (v < 2 || v > 3) return { error: E.NOPROTO };
    ver = v;
  }
  let auth: readonly [string, string] | null = null;
  let name: string | null = null;
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j] ?? '';
    const a = argv[j + 1] ?? '';
    if (is(opt, 'auth') && more >= 2) {
      auth = [a, argv[j + 2] ?? ''];
      j += 2;
    } else if (is(opt, 'setname') && more >= 1) {
      if (!validClientName(a)) return { error: E.CLIENT_NAME_SPACES };
      name = a;
      j++;
    } else {
      return { error: E.helloSyntax(opt) };
    }
  }
  return { ver, auth, name };
}

/**
 * HELLO with AUTH waits as AUTH does when the throttle says so, then runs whole. Only a request
 * that parses is an attempt.
 */
function hello(c: Client, argv: string[]): void {
  const req = parseHello(argv);
  if ('error' in req) {
    c.reply.error(req.error);
    return;
  }
  throttleAttempt(c, helloUsers(req), () => helloRun(c, argv, req));
}

function helloUsers(req: HelloRequest): string[] {
  return 'error' in req || req.auth === null ? [] : [req.auth[0]];
}

function helloRun(c: Client, argv: string[], req: Exclude<HelloRequest, { error: string }>): void {
  if (req.auth !== null && !authenticate(c, req.auth[0], req.auth[1], argv)) {
    c.reply.error(E.WRONGPASS);
    return;
  }
  if (!c.authenticated) {
    c.reply.error(E.HELLO_NOAUTH);
    return;
  }
  if (req.name !== null) c.name = req.name;
  if (req.ver !== 0) c.resp = req.ver as 2 | 3;
  const r = c.reply;
  r.map(7);
  r.bulk('server');
  r.bulk('redis');
  r.bulk('version');
  r.bulk(REDIS_VERSION);
  r.bulk('proto');
  r.integer(c.resp);
  r.bulk('id');
  r.integer(c.id);
  r.bulk('mode');
  r.bulk('standalone');
  r.bulk('role');
  r.bulk(c.server.replication.isReplica ? 'replica' : 'master');
  r.bulk('modules');
  r.array(0);
}

/** AUTH and HELLO AUTH passwords never reach SLOWLOG or MONITOR. */
function authSecrets(argv: readonly string[]): number[] {
  return argv.length === 2 ? [1] : [1, 2];
}

/**
 * Every argument after an AUTH token: HELLO may carry several AUTH options, and an argument that
 * only looks like one (a SETNAME value) costs no more than hiding two words.
 */
function helloSecrets(argv: readonly string[]): number[] {
  const out: number[] = [];
  for (let j = 2; j < argv.length - 2; j++) if (is(argv[j] ?? '', 'auth')) out.push(j + 1, j + 2);
  return out;
}

const conn = ['fast', 'connection'] as const;
const ALWAYS = ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'] as const;

export const connectionCommands: readonly CommandSpec[] = withDocs(connectionDocs, [
  { name: 'ping', arity: -1, flags: ['fast'], acl: conn, keys: NO_KEYS, run: ping, tips: ['request_policy:all_shards', 'response_policy:all_succeeded'] },
  { name: 'echo', arity: 2, flags: ['loading', 'stale', 'fast'], acl: conn, keys: NO_KEYS, run: echo },
  { name: 'quit', arity: -1, flags: ALWAYS, acl: conn, keys: NO_KEYS, run: quit },
  { name: 'reset', arity: 1, flags: ALWAYS, acl: conn, keys: NO_KEYS, run: reset },
  { name: 'select', arity: 2, flags: ['loading', 'stale', 'fast'], acl: conn, keys: NO_KEYS, run: select },
  { name: 'hello', arity: -1, flags: ALWAYS, acl: conn, keys: NO_KEYS, run: hello, secretArgs: helloSecrets },
  { name: 'auth', arity: -2, flags: ALWAYS, acl: conn, keys: NO_KEYS, run: auth, secretArgs: authSecrets },
]);
