// The CLIENT container: identity (ID, SETNAME, GETNAME, SETINFO), introspection (LIST, INFO),
// control of other connections (KILL, with Redis 7.4's MAXAGE too; PAUSE, UNPAUSE) and of this one (REPLY, NO-EVICT, NO-TOUCH),
// and client-side caching (TRACKING, CACHING, GETREDIR, TRACKINGINFO; the tables are server/tracking.ts).

import * as E from '../errors.js';
import { arg, is, parseInt64, parseInteger } from '../protocol/args.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { clientDocs } from './docs/client.js';
import { validClientName } from './connection.js';
import { replyHelp } from './server.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { auditEvent, clientFields } from '../security/audit-log.js';
import { INT64_MAX } from '../int64.js';

type ClientType = 'normal' | 'replica' | 'pubsub' | 'master';

function clientTypeByName(name: string): ClientType | null {
  const n = name.toLowerCase();
  if (n === 'normal' || n === 'pubsub' || n === 'master' || n === 'replica') return n;
  if (n === 'slave') return 'replica';
  return null;
}

function userExists(server: Server, name: string): boolean {
  return server.acl.users.has(name);
}

// --- identity ---

function id(c: Client): void {
  c.reply.integer(c.id);
}

function setname(c: Client, argv: string[]): void {
  const name = arg(argv, 2);
  if (!validClientName(name)) {
    c.reply.error(E.CLIENT_NAME_SPACES);
    return;
  }
  c.name = name;
  c.reply.ok();
}

function getname(c: Client): void {
  if (c.name === '') c.reply.nil();
  else c.reply.bulk(c.name);
}

function setinfo(c: Client, argv: string[]): void {
  const attr = arg(argv, 2);
  const value = arg(argv, 3);
  // Redis compares with strcasecmp, which stops at a NUL byte.
  const name = attr.split('\0', 1)[0] ?? '';
  const lib = is(name, 'lib-name') ? 'name' : is(name, 'lib-ver') ? 'ver' : null;
  if (lib === null) {
    c.reply.error(E.unrecognizedOption(attr));
    return;
  }
  if (!validClientName(value)) {
    c.reply.error(E.clientAttrChars(attr));
    return;
  }
  if (lib === 'name') c.libName = value;
  else c.libVer = value;
  c.reply.ok();
}

// --- introspection ---

function list(c: Client, argv: string[]): void {
  const server = c.server;
  let out = '';
  const filter = argv[2];
  const typeName = argv[3];
  if (argv.length === 4 && filter !== undefined && typeName !== undefined && is(filter, 'type')) {
    const type = clientTypeByName(typeName);
    if (type === null) {
      c.reply.error(E.unknownClientType(typeName));
      return;
    }
    for (const cl of server.clients.values()) {
      if (cl.kind === type) out += cl.infoLine(cl === c ? argv : null) + '\n';
    }
  } else if (argv.length > 3 && filter !== undefined && is(filter, 'id')) {
    for (const text of argv.slice(3)) {
      const cid = parseInt64(text);
      if (cid === null) {
        c.reply.error(E.INVALID_CLIENT_ID);
        return;
      }
      const cl = cid > 0n && cid <= BigInt(Number.MAX_SAFE_INTEGER) ? server.clients.get(Number(cid)) : undefined;
      if (cl) out += cl.infoLine(cl === c ? argv : null) + '\n';
    }
  } else if (argv.length !== 2) {
    c.reply.error(E.SYNTAX);
    return;
  } else {
    for (const cl of server.clients.values()) out += cl.infoLine(cl === c ? argv : null) + '\n';
  }
  c.reply.verbatim(out);
}

function info(c: Client, argv: string[]): void {
  c.reply.verbatim(c.infoLine(argv) + '\n');
}

// --- control of other connections ---

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking wait. */
function unblock(c: Client, argv: string[]): void {
  const id = parseInteger(arg(argv, 2));
  if (id === null) {
    c.reply.error(E.NOT_INTEGER);
    return;
  }
  let how: 'timeout' | 'error' = 'timeout';
  const reason = argv[3];
  if (argv.length > 4) {
    c.reply.error(E.SYNTAX);
    return;
  }
  if (reason !== undefined) {
    if (is(reason, 'error')) how = 'error';
    else if (!is(reason, 'timeout')) {
      c.reply.error(E.CLIENT_UNBLOCK_REASON);
      return;
    }
  }
  const target = c.server.clients.get(id);
  c.reply.integer(target !== undefined && c.server.blocking.unblock(target, how) ? 1 : 0);
}

function kill(c: Client, argv: string[]): void {
  let addr: string | null = null;
  let laddr: string | null = null;
  let user: string | null = null;
  let type: ClientType | null = null;
  let cid = 0;
  /** MAXAGE (Redis 7.4, Valkey 8): only connections at least this many seconds old; 0 for any. */
  let maxAge = 0;
  let skipme = true;
  if (argv.length === 3) {
    // The old form: CLIENT KILL addr, which may kill the caller itself.
    addr = arg(argv, 2);
    skipme = false;
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      const opt = argv[i];
      const value = argv[i + 1];
      if (opt === undefined || value === undefined) {
        c.reply.error(E.SYNTAX);
        return;
      }
      if (is(opt, 'id')) {
        const n = parseInt64(value);
        if (n === null || n < 1n) {
          c.reply.error(E.CLIENT_ID_POSITIVE);
          return;
        }
        cid = n > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(n);
      } else if (is(opt, 'maxage')) {
        const n = parseInt64(value);
        if (n === null) {
          c.reply.error(E.CLIENT_MAXAGE_NOT_INTEGER);
          return;
        }
        if (n <= 0n) {
          c.reply.error(E.CLIENT_MAXAGE_POSITIVE);
          return;
        }
        maxAge = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
      } else if (is(opt, 'type')) {
        type = clientTypeByName(value);
        if (type === null) {
          c.reply.error(E.unknownClientType(value));
          return;
        }
      } else if (is(opt, 'addr')) {
        addr = value;
      } else if (is(opt, 'laddr')) {
        laddr = value;
      } else if (is(opt, 'user')) {
        if (!userExists(c.server, value)) {
          c.reply.error(E.noSuchUser(value));
          return;
        }
        user = value;
      } else if (is(opt, 'skipme')) {
        if (is(value, 'yes')) skipme = true;
        else if (is(value, 'no')) skipme = false;
        else {
          c.reply.error(E.SYNTAX);
          return;
        }
      } else {
        c.reply.error(E.SYNTAX);
        return;
      }
    }
  }
  let killed = 0;
  let self = false;
  // Whole seconds between the two clocks, as Redis's commandTimeSnapshot()/1000 - ctime.
  const nowSec = Math.floor(Date.now() / 1000);
  for (const cl of [...c.server.clients.values()]) {
    if (addr !== null && cl.addr !== addr) continue;
    if (laddr !== null && cl.laddr !== laddr) continue;
    if (type !== null && cl.kind !== type) continue;
    if (cid !== 0 && cl.id !== cid) continue;
    if (user !== null && cl.user !== user) continue;
    if (cl === c && skipme) continue;
    if (maxAge !== 0 && nowSec - Math.floor(cl.createdAt / 1000) < maxAge) continue;
    if (cl === c) self = true;
    else c.server.closeClient(cl);
    killed++;
    auditEvent(c.server, 'client-kill', { ...clientFields(c), target_id: cl.id, target_addr: cl.addr, target_user: cl.user });
  }
  if (argv.length === 3) {
    if (killed === 0) c.reply.error(E.NO_SUCH_CLIENT);
    else c.reply.ok();
  } else {
    c.reply.integer(killed);
  }
  // The caller's own connection closes only after this reply has been queued.
  if (self) c.closeAfterReply = true;
}

function pause(c: Client, argv: string[]): void {
  if (argv.length > 4) {
    c.reply.error(E.subcommandSyntax(arg(argv, 1), 'client'));
    return;
  }
  let type: 'write' | 'all' = 'all';
  const mode = argv[3];
  if (mode !== undefined) {
    if (is(mode, 'write')) type = 'write';
    else if (!is(mode, 'all')) {
      c.reply.error(E.CLIENT_PAUSE_MODE);
      return;
    }
  }
  const ms = parseInt64(arg(argv, 2));
  if (ms === null) {
    c.reply.error(E.TIMEOUT_NOT_INTEGER);
    return;
  }
  if (ms < 0n) {
    c.reply.error(E.TIMEOUT_NEGATIVE);
    return;
  }
  // Redis 7.0 adds the current time in a signed 64-bit sum: past the end it wraps negative, a
  // deadline already gone, and the pause is over at once.
  const wraps = ms > INT64_MAX - BigInt(Date.now());
  c.server.pauseClients(type, wraps ? 0 : Number(ms));
  c.reply.ok();
}

function unpause(c: Client): void {
  c.server.unpauseClients();
  c.reply.ok();
}

// --- this connection ---

function reply(c: Client, argv: string[]): void {
  const mode = arg(argv, 2);
  if (is(mode, 'on')) {
    c.replyOff = false;
    c.replySkip = false;
    c.replySkipNext = false;
    c.reply.enabled = true;
    c.reply.ok();
  } else if (is(mode, 'off')) {
    c.replyOff = true;
  } else if (is(mode, 'skip')) {
    if (!c.replyOff) c.replySkipNext = true;
  } else {
    c.reply.error(E.SYNTAX);
  }
}

// --- client-side caching (server/tracking.ts) ---

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP], checked in Redis's order. */
function tracking(c: Client, argv: string[]): void {
  const server = c.server;
  let redirect = 0;
  let bcast = false;
  let optin = false;
  let optout = false;
  let noloop = false;
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const a = arg(argv, j);
    const next = argv[j + 1];
    if (is(a, 'redirect') && next !== undefined) {
      j++;
      if (redirect !== 0) {
        c.reply.error(E.TRACKING_ONE_REDIRECT);
        return;
      }
      const id = parseInt64(next);
      if (id === null) {
        c.reply.error(E.NOT_INTEGER);
        return;
      }
      // The redirect client must exist now, even though it may leave later.
      const target = id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) ? server.clients.get(Number(id)) : undefined;
      if (target === undefined) {
        c.reply.error(E.TRACKING_NO_SUCH_REDIRECT);
        return;
      }
      redirect = target.id;
    } else if (is(a, 'bcast')) bcast = true;
    else if (is(a, 'optin')) optin = true;
    else if (is(a, 'optout')) optout = true;
    else if (is(a, 'noloop')) noloop = true;
    else if (is(a, 'prefix') && next !== undefined) {
      j++;
      prefixes.push(next);
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
  }
  const mode = arg(argv, 2);
  if (is(mode, 'off')) {
    server.tracking.disable(c);
    c.reply.ok();
    return;
  }
  if (!is(mode, 'on')) {
    c.reply.error(E.SYNTAX);
    return;
  }
  const t = c.tracking;
  let refusal: string | null = null;
  if (!bcast && prefixes.length > 0) refusal = E.TRACKING_PREFIX_NEEDS_BCAST;
  else if (t !== null && t.bcast !== bcast) refusal = E.TRACKING_BCAST_SWITCH;
  else if (bcast && (optin || optout)) refusal = E.TRACKING_OPT_WITH_BCAST;
  else if (optin && optout) refusal = E.TRACKING_OPTIN_AND_OPTOUT;
  else if (t !== null && ((optin && t.optout) || (optout && t.optin))) refusal = E.TRACKING_OPT_SWITCH;
  else if (bcast) refusal = server.tracking.prefixCollision(c, prefixes);
  if (refusal !== null) {
    c.reply.error(refusal);
    return;
  }
  server.tracking.enable(c, { redirect, bcast, optin, optout, noloop, prefixes });
  c.reply.ok();
}

/** CLIENT CACHING YES|NO: whether the next command (or transaction) is tracked, in OPTIN/OPTOUT mode. */
function caching(c: Client, argv: string[]): void {
  const t = c.tracking;
  if (t === null) {
    c.reply.error(E.CACHING_NOT_TRACKING);
    return;
  }
  const v = arg(argv, 2);
  if (is(v, 'yes')) {
    if (!t.optin) {
      c.reply.error(E.CACHING_YES_NOT_OPTIN);
      return;
    }
  } else if (is(v, 'no')) {
    if (!t.optout) {
      c.reply.error(E.CACHING_NO_NOT_OPTOUT);
      return;
    }
  } else {
    c.reply.error(E.SYNTAX);
    return;
  }
  t.caching = true;
  c.reply.ok();
}

function getredir(c: Client): void {
  c.reply.integer(c.tracking === null ? -1 : c.tracking.redirect);
}

function trackinginfo(c: Client): void {
  const t = c.tracking;
  const flags = [t === null ? 'off' : 'on'];
  if (t !== null) {
    if (t.bcast) flags.push('bcast');
    if (t.optin) flags.push('optin');
    if (t.optin && t.caching) flags.push('caching-yes');
    if (t.optout) flags.push('optout');
    if (t.optout && t.caching) flags.push('caching-no');
    if (t.noloop) flags.push('noloop');
    if (t.brokenRedir) flags.push('broken_redirect');
  }
  c.reply.map(3);
  c.reply.bulk('flags');
  c.reply.set(flags.length);
  for (const f of flags) c.reply.bulk(f);
  c.reply.bulk('redirect');
  c.reply.integer(t === null ? -1 : t.redirect);
  c.reply.bulk('prefixes');
  const prefixes = t === null ? [] : [...t.prefixes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  c.reply.bulks(prefixes);
}

/** NO-EVICT and NO-TOUCH: an on/off switch on this connection. */
function onOff(field: 'noEvict' | 'noTouch') {
  return (c: Client, argv: string[]): void => {
    const v = arg(argv, 2);
    if (is(v, 'on')) c[field] = true;
    else if (is(v, 'off')) c[field] = false;
    else {
      c.reply.error(E.SYNTAX);
      return;
    }
    c.reply.ok();
  };
}

function help(c: Client): void {
  replyHelp(c, 'CLIENT', [
    'CACHING (YES|NO)',
    '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
    'GETREDIR',
    '    Return the client ID we are redirecting to when tracking is enabled.',
    'GETNAME',
    '    Return the name of the current connection.',
    'ID',
    '    Return the ID of the current connection.',
    'INFO',
    '    Return information about the current client connection.',
    'KILL <ip:port>',
    '    Kill connection made from <ip:port>.',
    'KILL <option> <value> [<option> <value> [...]]',
    '    Kill connections. Options are:',
    '    * ADDR (<ip:port>|<unixsocket>:0)',
    '      Kill connections made from the specified address',
    '    * LADDR (<ip:port>|<unixsocket>:0)',
    '      Kill connections made to specified local address',
    '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
    '      Kill connections by type.',
    '    * USER <username>',
    '      Kill connections authenticated by <username>.',
    '    * SKIPME (YES|NO)',
    '      Skip killing current connection (default: yes).',
    'LIST [options ...]',
    '    Return information about client connections. Options:',
    '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
    '      Return clients of specified type.',
    'UNPAUSE',
    '    Stop the current client pause, resuming traffic.',
    'PAUSE <timeout> [WRITE|ALL]',
    '    Suspend all, or just write, clients for <timeout> milliseconds.',
    'REPLY (ON|OFF|SKIP)',
    '    Control the replies sent to the current connection.',
    'SETNAME <name>',
    '    Assign the name <name> to the current connection.',
    'UNBLOCK <clientid> [TIMEOUT|ERROR]',
    '    Unblock the specified blocked client.',
    'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
    '         [OPTIN] [OPTOUT] [NOLOOP]',
    '    Control server assisted client side caching.',
    'TRACKINGINFO',
    '    Report tracking status for the current connection.',
    'NO-EVICT (ON|OFF)',
    '    Protect current client connection from eviction.',
  ]);
}

const plain = ['noscript', 'loading', 'stale'] as const;
const plainAcl = ['slow', 'connection'] as const;
const admin = ['admin', 'noscript', 'loading', 'stale'] as const;
const adminAcl = ['admin', 'slow', 'dangerous', 'connection'] as const;

const clientSubcommands: readonly CommandSpec[] = [
  { name: 'id', arity: 2, flags: plain, acl: plainAcl, keys: NO_KEYS, run: id },
  { name: 'setname', arity: 3, flags: plain, acl: plainAcl, keys: NO_KEYS, run: setname },
  { name: 'getname', arity: 2, flags: plain, acl: plainAcl, keys: NO_KEYS, run: getname },
  {
    name: 'setinfo', arity: 4, flags: [...plain, 'allow_busy'], acl: plainAcl, keys: NO_KEYS, run: setinfo,
    tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
  },
  { name: 'list', arity: -2, flags: admin, acl: adminAcl, keys: NO_KEYS, tips: ['nondeterministic_output'], run: list },
  { name: 'info', arity: 2, flags: plain, acl: plainAcl, keys: NO_KEYS, tips: ['nondeterministic_output'], run: info },
  { name: 'unblock', arity: -3, flags: admin, acl: adminAcl, keys: NO_KEYS, run: unblock },
  { name: 'kill', arity: -3, flags: admin, acl: adminAcl, keys: NO_KEYS, run: kill },
  { name: 'pause', arity: -3, flags: admin, acl: adminAcl, keys: NO_KEYS, run: pause },
  { name: 'unpause', arity: 2, flags: admin, acl: adminAcl, keys: NO_KEYS, run: unpause },
  { name: 'reply', arity: 3, flags: plain, acl: plainAcl, keys: NO_KEYS, run: reply },
  { name: 'no-evict', arity: 3, flags: admin, acl: adminAcl, keys: NO_KEYS, run: onOff('noEvict') },
  { name: 'no-touch', arity: 3, flags: plain, acl: plainAcl, keys: NO_KEYS, run: onOff('noTouch') },
  { name: 'tracking', arity: -3, flags: plain, acl: plainAcl, keys: NO_KEYS, run: tracking },
  { name: 'caching', arity: 3, flags: plain, acl: plainAcl, keys: NO_KEYS, run: caching },
  { name: 'getredir', arity: 2, flags: plain, acl: plainAcl, keys: NO_KEYS, run: getredir },
  { name: 'trackinginfo', arity: 2, flags: plain, acl: plainAcl, keys: NO_KEYS, run: trackinginfo },
  { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: plainAcl, keys: NO_KEYS, run: help },
];

export const clientCommands: readonly CommandSpec[] = withDocs(clientDocs, [
  { name: 'client', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS, subcommands: clientSubcommands },
]);
