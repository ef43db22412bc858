// MONITOR: clients that see every command the server runs, one line each after it ran, as
// Redis's replicationFeedMonitors. Secrets are redacted with the table's secretArgs; a monitor's
// lines are replies like any other, so its class's output limits bound them and cut a monitor
// that stops reading. The line is rendered once per command, and only while a monitor exists.

import type { Client } from './client.js';
import type { Command } from '../commands/registry.js';
import { checkOutputLimits, setReplyCeiling } from '../security/output-limits.js';

export class Monitors {
  /** In the order they ran MONITOR, as Redis's server.monitors list. */
  private readonly clients = new Set<Client>();
  /** Monitors with lines queued by other clients' commands, flushed once per event-loop turn. */
  private readonly unflushed = new Set<Client>();
  private flushScheduled = false;

  /** `flush` writes one client's queued replies (connection.ts's flushClient). */
  constructor(private readonly flush: (c: Client) => void) {}

  get size(): number {
    return this.clients.size;
  }

  add(c: Client): void {
    c.monitor = true;
    this.clients.add(c);
  }

  /** Leaves monitor mode (RESET, close). */
  remove(c: Client): void {
    c.monitor = false;
    this.clients.delete(c);
    this.unflushed.delete(c);
  }

  /**
   * Sends `argv`, which `c` ran in database `db`, to every monitor. `cmd` names the secret
   * arguments to hide (null: none).
   */
  feed(c: Client, cmd: Command | null, db: number, argv: readonly string[]): void {
    if (this.clients.size === 0) return;
    const line = Buffer.from(monitorLine(c, db, redact(cmd, argv)), 'latin1');
    for (const m of this.clients) {
      // A client that asked to close (QUIT) gets nothing more, as Redis's prepareClientToWrite.
      if (m.closed || m.closeAfterReply) continue;
      if (m === c) {
        // Its own command: the read loop checks its limits and flushes after the command.
        m.reply.raw(line);
        continue;
      }
      setReplyCeiling(m);
      m.reply.raw(line);
      if (checkOutputLimits(m)) continue;
      this.unflushed.add(m);
    }
    if (this.unflushed.size > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushAll());
    }
  }

  private flushAll(): void {
    this.flushScheduled = false;
    const pending = [...this.unflushed];
    this.unflushed.clear();
    for (const m of pending) if (!m.closed) this.flush(m);
  }
}

/** argv with the command's secrets as "(redacted)", as Redis's redactClientCommandArgument leaves them. */
function redact(cmd: Command | null, argv: readonly string[]): readonly string[] {
  const secrets = cmd?.spec.secretArgs?.(argv);
  if (secrets === undefined || secrets.length === 0) return argv;
  const out = argv.slice();
  for (const i of secrets) if (i < out.length) out[i] = '(redacted)';
  return out;
}

/** `+<seconds>.<micros> [<db> <origin>] "arg" ...\r\n`: origin `lua` for scripts, `unix:<path>` for unix sockets. */
function monitorLine(c: Client, db: number, argv: readonly string[]): string {
  const us = c.server.store.clock.wallMicros();
  const sec = Math.floor(us / 1e6);
  const micros = String(us - sec * 1e6).padStart(6, '0');
  let origin: string;
  if (c.inScript) origin = 'lua';
  else if (c.socket !== null && c.socket.remoteAddress === undefined) origin = `unix:${c.server.config.str('unixsocket')}`;
  else origin = c.addr;
  let line = `+${sec}.${micros} [${db} ${origin}]`;
  for (const a of argv) line += ' ' + repr(a);
  return line + '\r\n';
}

/** A quoted argument as Redis's sdscatrepr writes it: C escapes, \xHH for other unprintable bytes. */
function repr(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x22) out += '\\"';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x07) out += '\\a';
    else if (b === 0x08) out += '\\b';
    else if (b >= 0x20 && b <= 0x7e) out += s[i] ?? '';
    else out += '\\x' + (b & 0xff).toString(16).padStart(2, '0');
  }
  return out + '"';
}
