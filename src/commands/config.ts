// The config family: CONFIG GET, SET, RESETSTAT, REWRITE and HELP over the parameter table.
// CONFIG SET is all or nothing: every pair is checked and parsed first, then all are stored and
// applied, and a failure restores every old value.

import * as E from '../errors.js';
import { arg } from '../protocol/args.js';
import { globMatch } from '../store/glob.js';
import { SENSITIVE_NAMES } from '../config/parameters.js';
import { rewriteConfig } from '../config/rewrite.js';
import { strerror } from '../config/special.js';
import type { ConfigEntry } from '../config/config.js';
import type { ParamDef, ParamValue } from '../config/types.js';
import type { Client } from '../server/client.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { configDocs } from './docs/config.js';
import { auditEvent, clientFields } from '../security/audit-log.js';
import { allowProtectedAction } from '../security/gates.js';

function configGet(c: Client, argv: string[]): void {
  const config = c.server.config;
  // Keyed case-insensitively, as Redis's reply dictionary: `CONFIG GET port PORT` lists it once.
  const matches = new Map<string, [string, ParamDef]>();
  for (const pattern of argv.slice(2)) {
    if (!/[[*?]/.test(pattern)) {
      const entry = config.entry(pattern);
      if (entry && !matches.has(pattern.toLowerCase())) matches.set(pattern.toLowerCase(), [pattern, entry.def]);
      continue;
    }
    for (const entry of config.list) {
      // Hidden parameters answer only to their exact name.
      if (entry.def.hidden || matches.has(entry.name)) continue;
      if (globMatch(pattern, entry.name, true)) matches.set(entry.name, [entry.name, entry.def]);
    }
  }
  c.reply.map(matches.size);
  for (const [name, def] of matches.values()) {
    c.reply.bulk(name);
    const value = config.render(def);
    // Unlike Redis, secrets (requirepass, masterauth, key passphrases) are never read back.
    c.reply.bulk(def.sensitive && value !== '' ? REDACTED : value);
  }
}

const REDACTED = '(redacted)';

function protectedAllowed(c: Client): boolean {
  return allowProtectedAction(c.server.config, 'enable-protected-configs', c);
}

function configSet(c: Client, argv: string[]): void {
  if (argv.length % 2 !== 0) {
    c.reply.error(E.SYNTAX);
    return;
  }
  const config = c.server.config;
  const entries: (ConfigEntry | null)[] = [];
  // The known parameters with their unparsed values, in order: all of them once none is unknown.
  const known: [ConfigEntry, string][] = [];
  let unknown: string | null = null;
  let refused: [string, string] | null = null;
  // Same precedence as Redis: the first unknown name wins, unless a refusal came before it.
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i];
    const raw = argv[i + 1];
    if (name === undefined || raw === undefined) break;
    const entry = config.entry(name) ?? null;
    entries.push(entry);
    if (entry === null) {
      if (unknown === null && refused === null) unknown = name;
      continue;
    }
    known.push([entry, raw]);
    if (unknown !== null || refused !== null) continue;
    const def = entry.def;
    if (def.immutable || (def.protected && !protectedAllowed(c))) {
      refused = [name, def.immutable ? E.CONFIG_IMMUTABLE : E.CONFIG_PROTECTED];
    } else if (entries.slice(0, -1).includes(entry)) {
      refused = [name, E.CONFIG_DUPLICATE];
    }
  }
  if (unknown !== null) {
    c.reply.error(E.configUnknownOption(unknown));
    return;
  }
  if (refused !== null) {
    // Changing dir/dbfilename is the first step of the classic file-write attack: worth a record.
    if (refused[1] === E.CONFIG_PROTECTED) auditEvent(c.server, 'config-protected', { ...clientFields(c), param: refused[0] });
    c.reply.error(E.configSetFailed(refused[0], refused[1]));
    return;
  }
  const pairs: [ConfigEntry, ParamValue][] = [];
  for (const [entry, raw] of known) {
    // A multi-word directive's value is split on single spaces, as Redis does for CONFIG SET.
    const words = entry.def.multi ? (raw === '' ? [] : raw.split(' ')) : [raw];
    const value = config.parse(entry.def, words);
    if (value instanceof Error) {
      c.reply.error(E.configSetFailed(entry.name, value.message));
      return;
    }
    pairs.push([entry, value]);
  }
  // A change with an asynchronous first step (a new port to bind) holds the client until it is
  // done, then stores and applies everything as usual; such changes run one at a time.
  const prepared = pairs.filter(([entry, value]) => entry.def.prepare !== undefined && config.renderOf(entry.def, value) !== config.render(entry.def));
  if (prepared.length === 0) {
    finishSet(c, pairs);
    return;
  }
  if (c.inExec || c.inScript) {
    c.reply.error(E.CONFIG_PORT_CANNOT_WAIT);
    return;
  }
  const server = c.server;
  const release = server.holdClient(c, 2 ** 31 - 1, () => {
    finishSet(c, pairs);
    server.ports.settle();
  });
  void server.ports.serialize(async () => {
    try {
      for (const [entry, value] of prepared) await entry.def.prepare?.(server, value);
    } finally {
      // finishSet runs here, inside this step, before the next port change binds anything.
      release();
    }
  });
}

/** Stores and applies parsed pairs (all or nothing) and replies. */
function finishSet(c: Client, pairs: readonly [ConfigEntry, ParamValue][]): void {
  const config = c.server.config;
  const failed = config.setMany(c.server, pairs);
  if (failed !== null) {
    c.server.log.warning(`Failed applying new configuration. Possibly related to new ${failed[0]} setting. Restoring previous settings.`);
    c.reply.error(E.configSetFailed(failed[0], failed[1]));
    return;
  }
  // Secrets are recorded as changed, never by value.
  for (const [entry] of pairs) {
    const def = entry.def;
    const value = def.sensitive ? '(redacted)' : config.render(def);
    auditEvent(c.server, 'config-set', { ...clientFields(c), param: entry.name, value });
  }
  c.reply.ok();
}

function configResetstat(c: Client): void {
  c.server.resetStats();
  c.reply.ok();
}

function configRewrite(c: Client): void {
  const server = c.server;
  if (server.configFile === '') {
    c.reply.error(E.CONFIG_NO_FILE);
    return;
  }
  try {
    rewriteConfig(server.config, server.configFile);
  } catch (err) {
    server.log.warning(`CONFIG REWRITE failed: ${strerror(err)}`);
    c.reply.error(E.configRewriteFailed(strerror(err)));
    return;
  }
  server.log.warning('CONFIG REWRITE executed with success.');
  auditEvent(server, 'config-rewrite', { ...clientFields(c), file: server.configFile });
  c.reply.ok();
}

const HELP = [
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];

function configHelp(c: Client, argv: string[]): void {
  c.reply.array(HELP.length + 1);
  c.reply.status(`${arg(argv, 0).toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const line of HELP) c.reply.status(line);
}

/** The values of sensitive parameters in a CONFIG SET never reach SLOWLOG or MONITOR. */
function setSecrets(argv: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 2; i + 1 < argv.length; i += 2) {
    const name = argv[i];
    if (name === undefined) break;
    if (SENSITIVE_NAMES.has(name.toLowerCase())) out.push(i + 1);
  }
  return out;
}

const admin = ['admin', 'noscript', 'loading', 'stale'] as const;
const adminAcl = ['admin', 'slow', 'dangerous'] as const;

export const configCommands: readonly CommandSpec[] = withDocs(configDocs, [
  {
    name: 'config',
    arity: -2,
    flags: [],
    acl: ['slow'],
    keys: NO_KEYS,
    subcommands: [
      { name: 'get', arity: -3, flags: admin, acl: adminAcl, keys: NO_KEYS, run: configGet },
      {
        name: 'set',
        arity: -4,
        flags: admin,
        acl: adminAcl,
        keys: NO_KEYS,
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        run: configSet,
        secretArgs: setSecrets,
      },
      { name: 'resetstat', arity: 2, flags: admin, acl: adminAcl, keys: NO_KEYS, run: configResetstat },
      { name: 'rewrite', arity: 2, flags: admin, acl: adminAcl, keys: NO_KEYS, run: configRewrite },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'], keys: NO_KEYS, run: configHelp },
    ],
  },
]);
