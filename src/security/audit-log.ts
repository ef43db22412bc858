// The audit log: one JSON object per line for every security decision (auth, ACL denials,
// refused connections, configuration changes, kills, shutdown, limit disconnects). The sink is
// the `audit-log` directive: a file path (appended), "stdout", or "" (off). Writing never throws
// into the caller: a broken sink logs one warning and the event is dropped.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { Server } from '../server/server.js';

export type AuditFields = Record<string, string | number | boolean>;

/**
 * One open destination. Lines collect in memory and go out in one write per event-loop turn;
 * the write is synchronous so that a process exit right after an event (SHUTDOWN) loses nothing.
 */
class AuditSink {
  private fd: number | null = null;
  private lines: string[] = [];
  private scheduled = false;
  private broken = false;

  constructor(
    readonly target: string,
    private readonly onError: (message: string) => void,
  ) {
    if (target === '' || target === 'stdout') return;
    try {
      this.fd = openSync(target, 'a', 0o600);
      live.add(this);
    } catch (err) {
      this.fail((err as Error).message);
    }
  }

  write(line: string): void {
    if (this.broken || this.target === '') return;
    this.lines.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes every collected line now. */
  flush(): void {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const data = this.lines.join('');
    this.lines = [];
    if (this.target === 'stdout') {
      process.stdout.write(data);
      return;
    }
    if (this.fd === null) return;
    try {
      writeSync(this.fd, data);
    } catch (err) {
      this.fail((err as Error).message);
    }
  }

  close(): void {
    this.flush();
    live.delete(this);
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already gone
      }
    }
    this.fd = null;
  }

  private fail(message: string): void {
    if (this.broken) return;
    this.broken = true;
    this.lines = [];
    this.onError(`Audit log '${this.target}' cannot be written, audit events are dropped: ${message}`);
  }
}

/** Open file sinks, written out when the process exits with lines still collected. */
const live = new Set<AuditSink>();
process.once('exit', () => {
  for (const sink of live) sink.flush();
});

const sinks = new WeakMap<Server, AuditSink>();

function sinkFor(server: Server): AuditSink {
  const target = server.config.str('audit-log');
  let sink = sinks.get(server);
  if (sink === undefined || sink.target !== target) {
    sink?.close();
    sink = new AuditSink(target, (m) => server.log.warning(m));
    sinks.set(server, sink);
  }
  return sink;
}

/**
 * Records one security event. `fields` should name the client (`addr`, `user`) where there is one;
 * callers never pass secrets (passwords, sensitive config values).
 */
export function auditEvent(server: Server, type: string, fields: AuditFields = {}): void {
  try {
    const sink = sinkFor(server);
    if (sink.target === '') return;
    // ts and event come first and cannot be overridden by a field of the same name.
    const record: AuditFields = { ts: new Date().toISOString(), event: type };
    for (const [k, v] of Object.entries(fields)) if (k !== 'ts' && k !== 'event') record[k] = v;
    sink.write(JSON.stringify(record) + '\n');
  } catch {
    // Auditing must never break the command or connection that triggered it.
  }
}

/** The standard client fields of an event: id, address, user, and the client name when set. */
export function clientFields(c: {
  readonly id: number;
  readonly addr: string;
  readonly user?: string;
  readonly name?: string;
}): AuditFields {
  const f: AuditFields = { client_id: c.id, addr: c.addr };
  if (c.user !== undefined && c.user !== '') f['user'] = c.user;
  if (c.name !== undefined && c.name !== '') f['client_name'] = c.name;
  return f;
}
