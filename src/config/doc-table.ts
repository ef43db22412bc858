// The directive reference table of docs/configuration.md, rendered from the parameter table so the
// document cannot drift from the code (test/docs.test.ts compares them). Run as a program, it
// prints the table, or with `--write <file>` replaces the table between the markers in that file.

import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Config } from './config.js';
import { parameters } from './parameters.js';
import { formatMemory } from './values.js';
import type { ParamDef } from './types.js';

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';

/** Redis 7.0's default where Redoubt's differs on purpose (checked against redis-server by the docs test). */
export const REDIS_DEFAULTS: Readonly<Record<string, string>> = {
  bind: '* -::*',
  'client-output-buffer-limit': 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
};

/** Directives Redis 7.0 does not have (checked against redis-server by the docs test). */
export const REDOUBT_ONLY: ReadonlySet<string> = new Set([
  'audit-log',
  'syslog-socket',
  'log-format',
  'trusted-networks',
  'replica-allowed-primaries',
  'allow-unauthenticated-network',
  'auth-failure-throttling',
  'auth-failure-window',
  'auth-failure-delay-after',
  'auth-failure-delay-base-ms',
  'auth-failure-delay-max-ms',
  'auth-failure-lockout-threshold',
  'auth-failure-lockout-seconds',
  'auth-failure-user-rate',
  'auth-failure-user-burst',
  'auth-timeout',
  'enable-migrate-command',
  'cluster-emulated',
  'cluster-allowed-peers',
]);

/** Defaults that depend on how the server was started, described instead of shown. */
export const DEFAULT_TEXT: Readonly<Record<string, string>> = {
  dir: 'the working directory at startup',
};

/** Directives the table marks as mutable whose apply hook still refuses a runtime change. */
export const RESTART_ONLY: ReadonlySet<string> = new Set(['bind']);

/** The words special directives take, which their parse functions define. */
export const SPECIAL_SYNTAX: Readonly<Record<string, string>> = {
  bind: 'up to 16 addresses; a leading `-` makes one optional, `*` / `::*` mean every IPv4 / IPv6 address',
  save: '`<seconds> <changes>` pairs (several lines add up), or `""` for none',
  'client-output-buffer-limit': '`<class> <hard> <soft> <seconds>` groups; class `normal`, `replica` (`slave`) or `pubsub`; sizes take units',
  'oom-score-adj-values': 'three integers, -2000 … 2000',
  'notify-keyspace-events': 'event class letters from `Ag$lshzxeKEtmdn`, or `""` for none',
  replicaof: '`<host> <port>`, or `no one`',
  'latency-tracking-info-percentiles': 'numbers 0.0 … 100.0, or `""` for none',
  dir: 'a directory; the server changes into it, so later relative paths start there',
  'trusted-networks': 'IPv4 / IPv6 addresses or CIDR ranges (`10.0.0.0/8`), or `""` for any address',
};

/** Extra rules some text directives check with their own parse function. */
export const STRING_RULES: Readonly<Record<string, string>> = {
  dbfilename: 'a file name, not a path',
  appendfilename: 'a file name, not a path; not empty',
  appenddirname: 'a directory name, not a path; not empty',
  'cluster-announce-hostname': 'letters, digits, `-` and `.`; under 256 characters',
  'proc-title-template': 'text with `{title}`, `{listen-addr}`, `{server-mode}`, `{port}`, `{tls-port}`, `{unixsocket}`, `{config-file}`',
};

/** The words that give an onlyOff value, where they are not the value CONFIG GET shows. */
export const OFF_SPELLING: Readonly<Record<string, string>> = {
  replicaof: 'no one',
};

/** Markdown table cells cannot hold a raw pipe or line break. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string): string => (s === '' ? '`""`' : `\`${s}\``);

function bound(def: ParamDef, n: bigint): string {
  if (def.octal) return n.toString(8);
  if (def.kind === 'memory') {
    const human = formatMemory(n);
    return human === String(n) ? String(n) : human;
  }
  return String(n);
}

function accepted(def: ParamDef): string {
  switch (def.kind) {
    case 'bool':
      return '`yes`, `no`';
    case 'int':
    case 'memory': {
      const min = def.percent && def.min !== undefined && def.min < 0n ? 0n : def.min ?? 0n;
      let out = `${bound(def, min)} … ${bound(def, def.max ?? 0n)}`;
      if (def.kind === 'memory') out += ' bytes (units `k` `kb` `m` `mb` `g` `gb`)';
      if (def.octal) out += ' (octal)';
      if (def.percent && def.min !== undefined && def.min < 0n) out += `, or \`N%\` up to ${-def.min}%`;
      if (def.clamp) out += `; brought into ${def.clamp[0]} … ${def.clamp[1]}`;
      return out;
    }
    case 'enum': {
      const list = (def.values ?? []).map(code).join(', ');
      return def.multi ? `any of ${list} (several, space-separated)` : list;
    }
    case 'string': {
      const rule = STRING_RULES[def.name] ?? 'text';
      return def.nullIfEmpty ? `${rule}; \`""\` = not set` : rule;
    }
    case 'special':
      return SPECIAL_SYNTAX[def.name] ?? 'its own syntax';
  }
}

function defaultCell(def: ParamDef, config: Config): string {
  const described = DEFAULT_TEXT[def.name];
  if (described !== undefined) return described;
  const shown = config.render(def);
  let out = code(shown);
  if (def.kind === 'memory' && /^\d+$/.test(shown)) {
    const human = formatMemory(BigInt(shown));
    if (human !== shown) out += ` (${human})`;
  }
  const redis = REDIS_DEFAULTS[def.name];
  if (redis !== undefined) out += `; Redis: ${code(redis)}`;
  return out;
}

function runtimeCell(def: ParamDef): string {
  if (def.immutable) return 'no (startup only)';
  if (RESTART_ONLY.has(def.name)) return 'no (restart needed, for now)';
  if (def.protected) return 'only with `enable-protected-configs`';
  return 'yes';
}

function flagsCell(def: ParamDef): string {
  const flags: string[] = [];
  if (def.protected) flags.push('protected');
  if (def.sensitive) flags.push('sensitive');
  if (def.hidden) flags.push('hidden');
  return flags.join(', ');
}

function pendingCell(def: ParamDef): string {
  if (!def.onlyOff) return '';
  const spelled = OFF_SPELLING[def.name];
  const values = spelled === undefined ? def.onlyOff.map(code).join(' or ') : code(spelled);
  return `only ${values}: needs ${def.feature ?? 'a missing feature'}`;
}

/** The reference table: one row per parameter, in the order of the parameter table. */
export function renderConfigTable(): string {
  const config = new Config();
  const rows = [
    '| Directive | Kind | Accepted values | Default | CONFIG SET | Flags | Not implemented yet |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const def of parameters) {
    let name = def.alias ? `\`${def.name}\` (alias \`${def.alias}\`)` : `\`${def.name}\``;
    if (REDOUBT_ONLY.has(def.name)) name += ' (Redoubt only)';
    const kind = def.kind === 'enum' && def.multi ? 'enum (flags)' : def.kind;
    const cells = [name, kind, accepted(def), defaultCell(def, config), runtimeCell(def), flagsCell(def), pendingCell(def)];
    rows.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  return rows.join('\n') + '\n';
}

/** The table between the markers of a document, or null when the markers are missing. */
export function extractTable(doc: string): string | null {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start === -1 || end === -1 || end < start) return null;
  return doc.slice(start + TABLE_START.length, end).replace(/^\n/, '');
}

/** The document with its table replaced by a freshly rendered one. */
export function replaceTable(doc: string): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start === -1 || end === -1 || end < start) throw new Error(`markers ${TABLE_START} / ${TABLE_END} not found`);
  return doc.slice(0, start + TABLE_START.length) + '\n' + renderConfigTable() + doc.slice(end);
}

function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  const args = process.argv.slice(2);
  if (args[0] === '--write' && args[1] !== undefined) {
    writeFileSync(args[1], replaceTable(readFileSync(args[1], 'utf8')));
  } else if (args.length === 0) {
    process.stdout.write(renderConfigTable());
  } else {
    process.stderr.write('usage: node dist/src/config/doc-table.js [--write docs/configuration.md]\n');
    process.exitCode = 1;
  }
}
