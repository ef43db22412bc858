// Server-assisted client-side caching, as Redis 7.0's tracking.c. The tracking table maps a key
// name (in any database) to the ids of the clients that read it; the first change to the key sends
// each of them one invalidation and forgets the key. BCAST clients instead subscribe to prefixes
// and hear of every changed key under them, batched once per event-loop turn.

import * as E from '../errors.js';
import type { Database, KeyspaceEvents } from '../store/database.js';
import type { Command } from '../commands/registry.js';
import { checkOutputLimits, setReplyCeiling } from '../security/output-limits.js';
import type { Client } from './client.js';

/** A client's tracking mode (Redis's CLIENT_TRACKING_* flags), present while tracking is on. */
export interface TrackingState {
  /** The client invalidations go to, 0 for the client itself. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES (OPTIN) or NO (OPTOUT) for the next command or transaction. */
  caching: boolean;
  /** The redirect client has gone (flag R, `broken_redirect`). */
  brokenRedir: boolean;
  /** BCAST prefixes; empty outside BCAST mode. */
  readonly prefixes: Set<string>;
  /** The request that just ran was a CLIENT command, which leaves CLIENT CACHING armed. */
  clientCommand: boolean;
}

export interface TrackingOptions {
  readonly redirect: number;
  readonly bcast: boolean;
  readonly optin: boolean;
  readonly optout: boolean;
  readonly noloop: boolean;
  readonly prefixes: readonly string[];
}

/** One BCAST prefix: its subscribers, and the keys under it changed since the last broadcast with who changed them. */
interface BcastState {
  readonly clients: Set<Client>;
  keys: Map<string, Client | null>;
}

const CHANNEL = '__redis__:invalidate';
const PUSH_HEAD = Buffer.from('>2\r\n$10\r\ninvalidate\r\n', 'latin1');
const MESSAGE_HEAD = Buffer.from(`*3\r\n$7\r\nmessage\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n`, 'latin1');
/** Redis's shared.null by the protocol of the client that tracked: what a flush invalidates. */
const NULL2 = Buffer.from('$-1\r\n', 'latin1');
const NULL3 = Buffer.from('_\r\n', 'latin1');

/** A table entry (a Map entry, its key string's header) and one client id in a key's set. */
const TABLE_ENTRY_BYTES = 64;
const TABLE_ID_BYTES = 16;

const bulk = (s: string): string => `$${s.length}\r\n${s}\r\n`;

export class Tracking implements Partial<KeyspaceEvents> {
  /** Key → the id of the one client that read it, or the ids when several did (Redis's TrackingTable). */
  private table = new Map<string, number | Set<number>>();
  /** (key, client) pairs in the table: INFO tracking_total_items. */
  private items = 0;
  /** The bytes of the key names in the table (for memory()). */
  private keyBytes = 0;
  private readonly prefixTable = new Map<string, BcastState>();
  /** Clients with tracking on: INFO tracking_clients. */
  clients = 0;
  /** tracking-table-max-keys (0: no limit), from the configuration. */
  maxKeys = 1_000_000;
  /**
   * The client whose command is running at the top (a script's caller, not the script), as Redis's
   * server.current_client: its own invalidations wait until its reply has gone (`pending`).
   */
  private current: Client | null = null;
  /** The client running the innermost command (the script's client inside a script): BCAST's NOLOOP. */
  private executing: Client | null = null;
  /** Invalidations of the current client's own keys, sent after its reply; null for a flush. */
  private readonly pending: (string | null)[] = [];
  /** The key being removed by expiry: changed by nobody, as Redis passes a NULL client. */
  private expiring: string | null = null;
  /** Rounds in a row the table stayed over tracking-table-max-keys: each round tries harder. */
  private overLimitRounds = 0;
  /** Where eviction of the table resumes, so a long run never rescans the keys it removed. */
  private evictCursor: Iterator<string> | null = null;
  /** The server's command count at the last flush: FLUSHALL empties every database but invalidates once. */
  private flushedAt = -1;
  private broadcastScheduled = false;
  private readonly unflushed = new Set<Client>();
  private flushScheduled = false;

  /**
   * `lookup`: a connected client by id; `listeners`: the server's keyspace listeners, joined at the
   * first CLIENT TRACKING ON; `flushClient`: writes a client's pending output.
   */
  constructor(
    private readonly lookup: (id: number) => Client | undefined,
    private readonly allClients: () => Iterable<Client>,
    private readonly listeners: Partial<KeyspaceEvents>[],
    private readonly flushClient: (c: Client) => void,
    private readonly commandCount: () => number,
  ) {}

  get totalKeys(): number {
    return this.table.size;
  }

  get totalItems(): number {
    return this.items;
  }

  get totalPrefixes(): number {
    return this.prefixTable.size;
  }

  /**
   * An estimate of the table's memory, counted in used_memory as Redis counts its tracking rax:
   * each key's name and entry, and each client id a key holds.
   */
  memory(): number {
    return this.keyBytes + this.table.size * TABLE_ENTRY_BYTES + this.items * TABLE_ID_BYTES;
  }

  /**
   * Redis's checkPrefixCollisionsOrReply: the error for prefixes that overlap the client's own or
   * each other, or null. (Redis 7.0 answers an overlap between given prefixes after the first with
   * the error and then +OK, two replies to one command; here the error alone, and nothing changes.)
   */
  prefixCollision(c: Client, prefixes: readonly string[]): string | null {
    const own = c.tracking?.prefixes;
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i] ?? '';
      if (own !== undefined) {
        for (const q of [...own].sort(byteOrder)) if (overlaps(q, p)) return E.trackingPrefixOverlapsExisting(p, q);
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        const q = prefixes[j] ?? '';
        if (overlaps(p, q)) return E.trackingPrefixOverlapsGiven(p, q);
      }
    }
    return null;
  }

  /** Redis's enableTracking: switches tracking on (or updates its options). */
  enable(c: Client, o: TrackingOptions): void {
    if (!this.listening) {
      this.listeners.push(this);
      this.listening = true;
    }
    let t = c.tracking;
    if (t === null) {
      this.clients++;
      t = {
        redirect: 0, bcast: false, optin: false, optout: false, noloop: false, caching: false,
        brokenRedir: false, prefixes: new Set(), clientCommand: false,
      };
      c.tracking = t;
    }
    t.brokenRedir = false;
    t.redirect = o.redirect;
    t.bcast = o.bcast;
    t.optin = o.optin;
    t.optout = o.optout;
    t.noloop = o.noloop;
    if (o.bcast) {
      if (o.prefixes.length === 0) this.subscribePrefix(c, t, '');
      for (const p of o.prefixes) this.subscribePrefix(c, t, p);
    }
  }

  private listening = false;

  private subscribePrefix(c: Client, t: TrackingState, prefix: string): void {
    let bs = this.prefixTable.get(prefix);
    if (bs === undefined) {
      bs = { clients: new Set(), keys: new Map() };
      this.prefixTable.set(prefix, bs);
    }
    bs.clients.add(c);
    t.prefixes.add(prefix);
  }

  /**
   * Redis's disableTracking (CLIENT TRACKING OFF, RESET, close). The keys it read stay in the table
   * until they change, as in Redis: an id there that no longer tracks is skipped then.
   */
  disable(c: Client): void {
    const t = c.tracking;
    if (t === null) return;
    for (const p of t.prefixes) {
      const bs = this.prefixTable.get(p);
      if (bs === undefined) continue;
      bs.clients.delete(c);
      if (bs.clients.size === 0) this.prefixTable.delete(p);
    }
    c.tracking = null;
    this.clients--;
  }

  // --- around each command (dispatcher's call) ---

  /** A command of `c` starts; returns the client that was executing, for leave(). */
  /** True while `c`'s top-level command runs (Redis's server.current_client). */
  isCurrent(c: Client): boolean {
    return this.current === c;
  }

  enter(c: Client): Client | null {
    const outer = this.executing;
    this.executing = c;
    if (this.current === null && !c.inScript) this.current = c;
    return outer;
  }

  /**
   * A command of `c` has run (its reply written). Remembers the keys it read, as Redis's call(), and
   * at the top level sends the current client the invalidations of its own keys, after its reply
   * (Redis's afterCommand).
   */
  leave(c: Client, cmd: Command, argv: readonly string[], outer: Client | null): void {
    this.executing = outer;
    if (this.clients !== 0) {
      if (cmd.isReadonly && !READONLY_SCRIPT_COMMANDS.has(cmd.fullName)) this.rememberRead(c, cmd, argv);
      if (outer === null && c.tracking !== null && cmd.fullName.startsWith('client|')) c.tracking.clientCommand = true;
    }
    if (outer === null && this.current === c) {
      this.sendPending(c);
      this.current = null;
    }
  }

  /** A blocked client is served (its command completes now): it is the current client meanwhile. */
  serveBegin(c: Client): { current: Client | null; executing: Client | null } {
    const saved = { current: this.current, executing: this.executing };
    this.current = c;
    this.executing = c;
    return saved;
  }

  serveEnd(c: Client, saved: { current: Client | null; executing: Client | null }): void {
    this.sendPending(c);
    this.current = saved.current;
    this.executing = saved.executing;
  }

  /** Between two requests of `c`: CLIENT CACHING lasts for one command, or one transaction. */
  endRequest(c: Client): void {
    const t = c.tracking;
    if (t === null) return;
    if (c.multi === null && !t.clientCommand) t.caching = false;
    t.clientCommand = false;
  }

  private sendPending(c: Client): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    const keys = pending.splice(0);
    if (c.closed) return;
    for (const key of keys) {
      if (key === null) this.send(c, c.resp === 3 ? NULL3 : NULL2);
      else this.sendKey(c, key);
    }
  }

  /** Redis's trackingRememberKeys: the keys of a read, for its caller when a script ran it. */
  private rememberRead(c: Client, command: Command, args: readonly string[]): void {
    let caller = c;
    let cmd = command;
    let argv = args;
    if (c.inScript) {
      // A script that reads tracks the keys its EVAL or FCALL declared, for the script's caller.
      const run = c.server.script;
      if (run === null || run.command === null) return;
      caller = run.caller;
      cmd = run.command;
      argv = run.argv;
    }
    const t = caller.tracking;
    if (t === null || t.bcast) return;
    if ((t.optin && !t.caching) || (t.optout && t.caching)) return;
    if (cmd.isPubsub) return;
    for (const k of cmd.keyRefs(argv)) {
      const key = argv[k.pos];
      if (key === undefined) continue;
      this.remember(key, caller.id);
    }
  }

  private remember(key: string, id: number): void {
    const ids = this.table.get(key);
    if (ids === undefined) {
      this.table.set(key, id);
      this.items++;
      this.keyBytes += key.length;
    } else if (typeof ids === 'number') {
      if (ids === id) return;
      this.table.set(key, new Set([ids, id]));
      this.items++;
    } else if (!ids.has(id)) {
      ids.add(id);
      this.items++;
    }
  }

  // --- invalidation ---

  /** Redis's trackingInvalidateKey: `key` changed; tell who read it, and note it for BCAST. */
  private invalidate(key: string, modifier: Client | null, bcast: boolean): void {
    if (bcast && this.prefixTable.size !== 0) this.rememberForBroadcast(key, modifier);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    this.table.delete(key);
    this.keyBytes -= key.length;
    if (typeof ids === 'number') {
      this.items--;
      this.invalidateFor(ids, key);
    } else {
      this.items -= ids.size;
      for (const id of ids) this.invalidateFor(id, key);
    }
  }

  private invalidateFor(id: number, key: string): void {
    const target = this.lookup(id);
    // A client that switched to BCAST does not hear of keys it read before.
    if (target === undefined || target.tracking === null || target.tracking.bcast) return;
    const inCommand = this.current !== null && target === this.current;
    if (target.tracking.noloop && inCommand) return;
    if (inCommand) this.pending.push(key);
    else this.sendKey(target, key);
  }

  private sendKey(c: Client, key: string): void {
    this.send(c, Buffer.from(`*1\r\n${bulk(key)}`, 'latin1'));
  }

  private rememberForBroadcast(key: string, modifier: Client | null): void {
    for (const [prefix, bs] of this.prefixTable) {
      if (prefix.length > key.length || !key.startsWith(prefix)) continue;
      bs.keys.set(key, modifier);
    }
    if (!this.broadcastScheduled) {
      this.broadcastScheduled = true;
      setImmediate(this.broadcast);
    }
  }

  /** Redis's trackingBroadcastInvalidationMessages (beforeSleep): one message per prefix and client. */
  private readonly broadcast = (): void => {
    this.broadcastScheduled = false;
    if (this.clients === 0) return;
    // Prefixes in byte order, as Redis walks its radix tree.
    const changed = [...this.prefixTable].filter(([, bs]) => bs.keys.size !== 0).sort((x, y) => byteOrder(x[0], y[0]));
    for (const [, bs] of changed) {
      const keys = bs.keys;
      bs.keys = new Map();
      // In key order, as Redis's radix tree gives them.
      const sorted = [...keys.keys()].sort(byteOrder);
      const all = Buffer.from(arrayOf(sorted), 'latin1');
      for (const c of bs.clients) {
        if (c.tracking?.noloop === true) {
          const others = sorted.filter((k) => keys.get(k) !== c);
          if (others.length !== 0) this.send(c, Buffer.from(arrayOf(others), 'latin1'));
        } else {
          this.send(c, all);
        }
      }
    }
  };

  /**
   * Redis's sendTrackingMessage: `payload` (an array of keys, or a null) to `c`, or to the client it
   * redirects to: a RESP3 push, or a `__redis__:invalidate` message to a RESP2 subscriber.
   */
  private send(c: Client, payload: Buffer): void {
    const t = c.tracking;
    if (t !== null && t.redirect !== 0) {
      const to = this.lookup(t.redirect);
      if (to === undefined || to.closed) {
        t.brokenRedir = true;
        if (c.resp === 3) this.write(c, Buffer.from(`>2\r\n$21\r\ntracking-redir-broken\r\n:${t.redirect}\r\n`, 'latin1'));
        return;
      }
      // A RESP2 redirect client hears through Pub/Sub, once subscribed to anything.
      if (to.resp !== 3 && to.subs === null) return;
      this.write(to, to.resp === 3 ? PUSH_HEAD : MESSAGE_HEAD, payload);
      return;
    }
    // RESP2 has no out-of-band replies on the same connection.
    if (c.resp !== 3) return;
    this.write(c, PUSH_HEAD, payload);
  }

  /** Appends to a client's output whatever its CLIENT REPLY mode (push messages always go), then flushes it soon. */
  private write(c: Client, head: Buffer, payload: Buffer | null = null): void {
    if (c.closed || c.closeAfterReply) return;
    const w = c.reply;
    if (w.overflowed) return;
    if (c !== this.current) setReplyCeiling(c);
    const enabled = w.enabled;
    w.enabled = true;
    w.raw(head);
    if (payload !== null) w.raw(payload);
    w.enabled = enabled;
    // A redirect client that never reads is cut by its class's output limit, not kept growing.
    if (checkOutputLimits(c)) return;
    this.unflushed.add(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAll);
    }
  }

  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    const pending = [...this.unflushed];
    this.unflushed.clear();
    for (const c of pending) if (!c.closed) this.flushClient(c);
  };

  // --- tracking-table-max-keys ---

  /**
   * Redis's trackingLimitUsedSlots, before each command and in the cron: over the limit, invalidates
   * keys (oldest first) with an effort that grows while the table stays over it.
   */
  limit(): void {
    const maxKeys = this.maxKeys;
    if (this.clients === 0 || maxKeys === 0 || this.table.size <= maxKeys) {
      this.overLimitRounds = 0;
      return;
    }
    let effort = 100 * (this.overLimitRounds + 1);
    while (effort > 0) {
      effort--;
      let next = this.evictCursor?.next();
      if (next === undefined || next.done === true) {
        this.evictCursor = this.table.keys();
        next = this.evictCursor.next();
        if (next.done === true) break;
      }
      this.invalidate(next.value, null, false);
      if (this.table.size <= maxKeys) {
        this.overLimitRounds = 0;
        return;
      }
    }
    this.overLimitRounds++;
  }

  // --- KeyspaceEvents ---

  expired(_db: Database, key: string): void {
    this.expiring = key;
  }

  modified(_db: Database, key: string): void {
    let modifier = this.executing;
    if (this.expiring === key) {
      modifier = null;
      this.expiring = null;
    }
    if (this.clients === 0 && this.table.size === 0) return;
    this.invalidate(key, modifier, true);
  }

  /**
   * Redis's trackingInvalidateKeysOnFlush: every tracking client hears a null (FLUSHALL once, not
   * once per database), and the whole table goes.
   */
  /** The keys of the tracking table (Redis's TrackingTable), for the lazy-free count of an asynchronous flush. */
  tableKeys(): Iterable<string> {
    return this.table.keys();
  }

  flushed(): void {
    const at = this.commandCount();
    if (at === this.flushedAt && this.current !== null) return;
    this.flushedAt = at;
    if (this.clients !== 0) {
      for (const c of this.allClients()) {
        if (c.tracking === null) continue;
        if (c === this.current) this.pending.push(null);
        else this.send(c, c.resp === 3 ? NULL3 : NULL2);
      }
    }
    this.table = new Map();
    this.items = 0;
    this.keyBytes = 0;
    this.evictCursor = null;
  }
}

/** The scripts whose own run Redis does not count as a read: what their commands read counts. */
const READONLY_SCRIPT_COMMANDS = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);

/** Redis's stringCheckPrefix: one is a prefix of the other. */
function overlaps(a: string, b: string): boolean {
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function arrayOf(keys: readonly string[]): string {
  let s = `*${keys.length}\r\n`;
  for (const k of keys) s += bulk(k);
  return s;
}
