// The connection family: PING, ECHO, QUIT, RESET, SELECT, HELLO, AUTH.

import * as E from '../errors.js';
import { parseInteger, is } from './args.js';
import { NO_KEYS, type CommandSpec } from './spec.js';
import type { Client } from '../server/client.js';
import { checkCredentials, defaultUserIsNopass } from '../security/auth.js';
import { REDIS_VERSION } from '../version.js';

const PONG = Buffer.from('+PONG\r\n');
const RESET = Buffer.from('+RESET\r\n');

function ping(c: Client, argv: string[]): void {
  if (argv.length > 2) {
    c.reply.error(E.wrongArity('ping'));
    return;
  }
  if (argv.length === 1) c.reply.raw(PONG);
  else c.reply.bulk(argv[1]!);
}

function echo(c: Client, argv: string[]): void {
  c.reply.bulk(argv[1]!);
}

function quit(c: Client): void {
  c.reply.ok();
  c.closeAfterReply = true;
}

function reset(c: Client): void {
  c.db = c.server.dbs[0]!;
  c.resp = 2;
  c.authenticated = defaultUserIsNopass(c.server);
  c.user = 'default';
  c.noEvict = false;
  c.replyOff = false;
  c.replySkipNext = false;
  c.reply.raw(RESET);
}

function select(c: Client, argv: string[]): void {
  const id = parseInteger(argv[1]!);
  if (id === null || id < -2147483648 || id > 2147483647) {
    c.reply.error(E.NOT_INTEGER);
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

/** Authenticates `c` or replies with the failure; true on success. */
function authenticate(c: Client, user: string, password: string): boolean {
  if (!checkCredentials(c.server, user, password)) {
    c.reply.error(E.WRONGPASS);
    return false;
  }
  c.authenticated = true;
  c.user = user;
  return true;
}

function auth(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(E.SYNTAX);
    return;
  }
  if (argv.length === 2 && defaultUserIsNopass(c.server)) {
    c.reply.error(E.AUTH_NOT_CONFIGURED);
    return;
  }
  const [user, password] = argv.length === 2 ? ['default', argv[1]!] : [argv[1]!, argv[2]!];
  if (authenticate(c, user, password)) c.reply.ok();
}

/** CLIENT SETNAME's validation: printable ASCII without spaces. */
export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

function hello(c: Client, argv: string[]): void {
  let ver = 0;
  let next = 1;
  if (argv.length >= 2) {
    const v = parseInteger(argv[next++]!);
    if (v === null) {
      c.reply.error('ERR Protocol version is not an integer or out of range');
      return;
    }
    if (v < 2 || v > 3) {
      c.reply.error(E.NOPROTO);
      return;
    }
    ver = v;
  }
  let creds: [string, string] | null = null;
  let name: string | null = null;
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j]!;
    if (is(opt, 'auth') && more >= 2) {
      creds = [argv[j + 1]!, argv[j + 2]!];
      j += 2;
    } else if (is(opt, 'setname') && more >= 1) {
      name = argv[j + 1]!;
      j++;
    } else {
      c.reply.error(E.sanitize(`ERR Syntax error in HELLO option '${opt}'`));
      return;
    }
  }
  if (creds !== null && !authenticate(c, creds[0], creds[1])) return;
  if (c.server.authRequired(c)) {
    c.reply.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
    return;
  }
  if (name !== null) {
    if (!validClientName(name)) {
      c.reply.error(E.CLIENT_NAME_SPACES);
      return;
    }
    c.name = name;
  }
  if (ver !== 0) c.resp = ver as 2 | 3;
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
  r.bulk('master');
  r.bulk('modules');
  r.array(0);
}

/** AUTH and HELLO AUTH passwords never reach SLOWLOG or MONITOR. */
function authSecrets(argv: readonly string[]): number[] {
  return argv.length === 2 ? [1] : [1, 2];
}

function helloSecrets(argv: readonly string[]): number[] {
  for (let j = 2; j < argv.length - 2; j++) if (is(argv[j]!, 'auth')) return [j + 1, j + 2];
  return [];
}

const conn = ['fast', 'connection'] as const;

export const connectionCommands: readonly CommandSpec[] = [
  { name: 'ping', arity: -1, flags: ['fast'], acl: conn, keys: NO_KEYS, tips: ['request_policy:all_shards', 'response_policy:all_succeeded'], run: ping },
  { name: 'echo', arity: 2, flags: ['loading', 'stale', 'fast'], acl: conn, keys: NO_KEYS, run: echo },
  { name: 'quit', arity: -1, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], acl: conn, keys: NO_KEYS, run: quit },
  { name: 'reset', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], acl: conn, keys: NO_KEYS, run: reset },
  { name: 'select', arity: 2, flags: ['loading', 'stale', 'fast'], acl: conn, keys: NO_KEYS, run: select },
  { name: 'hello', arity: -1, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], acl: conn, keys: NO_KEYS, run: hello, secretArgs: helloSecrets },
  { name: 'auth', arity: -2, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], acl: conn, keys: NO_KEYS, run: auth, secretArgs: authSecrets },
];
