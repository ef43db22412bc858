// The server family: INFO, TIME, SLOWLOG, LATENCY (with per-command HISTOGRAM), MONITOR and SHUTDOWN. CLIENT and COMMAND live in their
// own files; INFO's sections are built in info.ts.

import * as E from '../errors.js';
import { arg, is, parseInteger } from '../protocol/args.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { serverDocs } from './docs/server.js';
import type { Client } from '../server/client.js';
import { infoText } from './info.js';
import { auditEvent, clientFields } from '../security/audit-log.js';
import type { Command, CommandTable } from './registry.js';

/** Redis's addReplyHelp: the usage line, the entries, then HELP, as status lines. */
export function replyHelp(c: Client, container: string, lines: readonly string[]): void {
  const all = [
    `${container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`,
    ...lines,
    'HELP',
    '    Prints this help.',
  ];
  c.reply.array(all.length);
  for (const l of all) c.reply.status(l);
}

// --- INFO, TIME ---

function info(c: Client, argv: string[]): void {
  c.reply.verbatim(infoText(c.server, argv.slice(1)));
}

function time(c: Client): void {
  const t = performance.timeOrigin + performance.now();
  const sec = Math.floor(t / 1000);
  const usec = Math.min(999999, Math.floor((t - sec * 1000) * 1000));
  c.reply.array(2);
  c.reply.bulk(String(sec));
  c.reply.bulk(String(usec));
}

// --- SLOWLOG ---

function slowlogGet(c: Client, argv: string[]): void {
  if (argv.length > 3) {
    c.reply.error(E.subcommandSyntax(arg(argv, 1), 'slowlog'));
    return;
  }
  const log = c.server.slowlog;
  let count = 10;
  const countText = argv[2];
  if (countText !== undefined) {
    const n = parseInteger(countText);
    if (n === null || n < -1) {
      c.reply.error(E.SLOWLOG_COUNT);
      return;
    }
    count = n === -1 ? log.entries.length : n;
  }
  const entries = log.entries.slice(0, Math.min(count, log.entries.length));
  const r = c.reply;
  r.array(entries.length);
  for (const e of entries) {
    r.array(6);
    r.integer(e.id);
    r.integer(e.time);
    r.integer(e.usec);
    r.bulks(e.argv);
    r.bulk(e.addr);
    r.bulk(e.name);
  }
}

function slowlogLen(c: Client): void {
  c.reply.integer(c.server.slowlog.entries.length);
}

function slowlogReset(c: Client): void {
  c.server.slowlog.reset();
  c.reply.ok();
}

function slowlogHelp(c: Client): void {
  replyHelp(c, 'SLOWLOG', [
    'GET [<count>]',
    '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
    '    Entries are made of:',
    '    id, timestamp, time in microseconds, arguments array, client IP and port,',
    '    client name',
    'LEN',
    '    Return the length of the slowlog.',
    'RESET',
    '    Reset the slowlog.',
  ]);
}

// --- LATENCY ---

function latencyLatest(c: Client): void {
  // An event is recorded with its first sample, so each has a latest one.
  const latest = [];
  for (const [name, e] of c.server.latency.events) {
    const last = e.samples.at(-1);
    if (last !== undefined) latest.push({ name, last, max: e.max });
  }
  c.reply.array(latest.length);
  for (const { name, last, max } of latest) {
    c.reply.array(4);
    c.reply.bulk(name);
    c.reply.integer(last.time);
    c.reply.integer(last.latency);
    c.reply.integer(max);
  }
}

function latencyHistory(c: Client, argv: string[]): void {
  const e = c.server.latency.events.get(arg(argv, 2));
  const samples = e?.samples ?? [];
  c.reply.array(samples.length);
  for (const s of samples) {
    c.reply.array(2);
    c.reply.integer(s.time);
    c.reply.integer(s.latency);
  }
}

function latencyReset(c: Client, argv: string[]): void {
  c.reply.integer(c.server.latency.reset(argv.slice(2)));
}

/** A plain bar chart of an event's samples, oldest first (Redis draws a sparkline). */
function latencyGraph(c: Client, argv: string[]): void {
  const name = arg(argv, 2);
  const e = c.server.latency.events.get(name);
  if (!e || e.samples.length === 0) {
    c.reply.error(E.noLatencySamples(name));
    return;
  }
  const values = e.samples.map((s) => s.latency);
  const high = Math.max(...values);
  const low = Math.min(...values);
  const rows = 4;
  let out = `${name} - high ${high} ms, low ${low} ms (all time high ${e.max} ms)\n${'-'.repeat(80)}\n`;
  for (let row = rows; row >= 1; row--) {
    out += values.map((v) => (v * rows >= row * high ? '#' : ' ')).join('') + '\n';
  }
  const now = Math.floor(Date.now() / 1000);
  out += e.samples.map((s) => String(Math.min(9, Math.floor((now - s.time) / 60)))).join('') + '\n';
  c.reply.verbatim(out);
}

/**
 * LATENCY HISTOGRAM [command ...]: the cumulative latency distribution of each command that has
 * one (all of them when none is named; a container names its subcommands too; unknown names are
 * skipped), as Redis's latencyAllCommandsFillCDF and latencySpecificCommandsFillCDF.
 */
function latencyHistogram(c: Client, argv: string[]): void {
  const table = c.server.commands;
  const found: Command[] = [];
  const names = argv.slice(2);
  if (names.length === 0) {
    for (const cmd of table.walk()) if (cmd.stats.histogram !== null) found.push(cmd);
  }
  for (const name of names) {
    const cmd = commandByFullName(table, name);
    if (cmd === undefined) continue;
    if (cmd.stats.histogram !== null) found.push(cmd);
    if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) if (sub.stats.histogram !== null) found.push(sub);
  }
  c.reply.map(found.length);
  for (const cmd of found) {
    const h = cmd.stats.histogram;
    if (h === null) continue;
    c.reply.bulk(cmd.fullName);
    c.reply.map(2);
    c.reply.bulk('calls');
    c.reply.integer(h.total);
    c.reply.bulk('histogram_usec');
    const cdf = h.cdf();
    c.reply.map(cdf.length);
    for (const [usec, calls] of cdf) {
      c.reply.integer(usec);
      c.reply.integer(calls);
    }
  }
}

/** "get" or "client|id", as Redis's lookupCommandBySds: a subcommand only of a container, at most one level. */
function commandByFullName(table: CommandTable, name: string): Command | undefined {
  const parts = name.split('|');
  const [base, sub] = parts;
  if (base === undefined || parts.length > 2) return undefined;
  const cmd = table.lookup(base);
  if (cmd === undefined || sub === undefined) return cmd;
  return cmd.subcommands?.get(sub.toLowerCase());
}

function latencyDoctor(c: Client): void {
  const mon = c.server.latency;
  let text: string;
  if (mon.threshold === 0 && mon.events.size === 0) {
    text =
      "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use " +
      '"CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep ' +
      "space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
  } else if (mon.events.size === 0) {
    text =
      'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. ' +
      'I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
  } else {
    text = 'Dave, I have observed latency spikes in this Redis instance. You don\'t mind talking about it, do you Dave?\n\n';
    let i = 1;
    for (const [name, e] of mon.events) {
      const values = e.samples.map((s) => s.latency);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      text +=
        `${i++}. ${name}: ${values.length} latency spikes (average ${Math.round(mean)}ms, ` +
        `worst all time ${e.max}ms).\n`;
    }
    text += '\nI have a few advices for you:\n\n- Check the slow log (SLOWLOG GET) for the commands behind the spikes.\n';
  }
  c.reply.verbatim(text);
}

function latencyHelp(c: Client): void {
  replyHelp(c, 'LATENCY', [
    'DOCTOR',
    '    Return a human readable latency analysis report.',
    'GRAPH <event>',
    '    Return an ASCII latency graph for the <event> class.',
    'HISTORY <event>',
    '    Return time-latency samples for the <event> class.',
    'LATEST',
    '    Return the latest latency samples for all events.',
    'RESET [<event> ...]',
    '    Reset latency data of one or more <event> classes.',
    '    (default: reset all data for all event classes)',
    'HISTOGRAM [COMMAND ...]',
    '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
    '    If no commands are specified then all histograms are replied.',
  ]);
}

// --- MONITOR ---

/** Redis's monitorCommand: from now on the client sees every command (server/monitor.ts). */
function monitor(c: Client): void {
  // Inside EXEC the client must get one reply per command.
  if (c.inExec) {
    c.reply.error(E.MONITOR_DENY_BLOCKING);
    return;
  }
  // Already a monitor (or a replica): ignored, without a reply, as Redis.
  if (c.monitor || c.kind === 'replica') return;
  c.server.monitors.add(c);
  c.reply.ok();
}

// --- SHUTDOWN ---

function shutdown(c: Client, argv: string[]): void {
  let save = false;
  let nosave = false;
  let force = false;
  let abort = false;
  let flags = 0;
  for (const a of argv.slice(1)) {
    if (is(a, 'nosave')) nosave = true;
    else if (is(a, 'save')) save = true;
    else if (is(a, 'now')) {
      /* no replicas to wait for: NOW changes nothing */
    } else if (is(a, 'force')) force = true;
    else if (is(a, 'abort')) {
      abort = true;
      continue;
    } else {
      c.reply.error(E.SYNTAX);
      return;
    }
    flags++;
  }
  if ((abort && flags > 0) || (save && nosave)) {
    c.reply.error(E.SYNTAX);
    return;
  }
  if (abort) {
    // A shutdown only waits when replicas lag; without replication none is ever in progress.
    c.reply.error(E.NO_SHUTDOWN);
    return;
  }
  const server = c.server;
  server.log.warning('User requested shutdown...');
  if (!server.rdb.finalSave({ save, nosave, force })) {
    server.log.warning('Errors trying to shut down the server. Check the logs for more information.');
    c.reply.error(E.SHUTDOWN_FAILED);
    return;
  }
  auditEvent(server, 'shutdown', { ...clientFields(c), args: argv.slice(1).join(' ').toLowerCase() });
  void server.shutdown('');
}

const admin = ['admin', 'noscript', 'loading', 'stale'] as const;
const adminAcl = ['admin', 'slow', 'dangerous'] as const;
const allNodes = 'request_policy:all_nodes';

const slowlogSubcommands: readonly CommandSpec[] = [
  { name: 'get', arity: -2, flags: ['admin', 'loading', 'stale'], acl: adminAcl, keys: NO_KEYS, tips: [allNodes, 'nondeterministic_output'], run: slowlogGet },
  {
    name: 'len', arity: 2, flags: ['admin', 'loading', 'stale'], acl: adminAcl, keys: NO_KEYS,
    tips: [allNodes, 'response_policy:agg_sum', 'nondeterministic_output'], run: slowlogLen,
  },
  {
    name: 'reset', arity: 2, flags: ['admin', 'loading', 'stale'], acl: adminAcl, keys: NO_KEYS,
    tips: [allNodes, 'response_policy:all_succeeded'], run: slowlogReset,
  },
  { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'], keys: NO_KEYS, run: slowlogHelp },
];

const latencyTips = ['nondeterministic_output', allNodes, 'response_policy:special'] as const;

const latencySubcommands: readonly CommandSpec[] = [
  { name: 'latest', arity: 2, flags: admin, acl: adminAcl, keys: NO_KEYS, tips: latencyTips, run: latencyLatest },
  { name: 'history', arity: 3, flags: admin, acl: adminAcl, keys: NO_KEYS, tips: latencyTips, run: latencyHistory },
  { name: 'reset', arity: -2, flags: admin, acl: adminAcl, keys: NO_KEYS, tips: [allNodes, 'response_policy:all_succeeded'], run: latencyReset },
  { name: 'graph', arity: 3, flags: admin, acl: adminAcl, keys: NO_KEYS, tips: latencyTips, run: latencyGraph },
  { name: 'doctor', arity: 2, flags: admin, acl: adminAcl, keys: NO_KEYS, tips: latencyTips, run: latencyDoctor },
  { name: 'histogram', arity: -2, flags: admin, acl: adminAcl, keys: NO_KEYS, tips: latencyTips, run: latencyHistogram },
  { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'], keys: NO_KEYS, run: latencyHelp },
];

export const serverCommands: readonly CommandSpec[] = withDocs(serverDocs, [
  {
    name: 'info', arity: -1, flags: ['loading', 'stale'], acl: ['slow', 'dangerous'], keys: NO_KEYS,
    tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'], run: info,
  },
  { name: 'time', arity: 1, flags: ['loading', 'stale', 'fast'], acl: ['fast'], keys: NO_KEYS, tips: ['nondeterministic_output'], run: time },
  { name: 'slowlog', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS, subcommands: slowlogSubcommands },
  { name: 'latency', arity: -2, flags: [], acl: ['slow'], keys: NO_KEYS, subcommands: latencySubcommands },
  { name: 'monitor', arity: 1, flags: admin, acl: adminAcl, keys: NO_KEYS, run: monitor },
  { name: 'shutdown', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'], acl: adminAcl, keys: NO_KEYS, run: shutdown },
]);
