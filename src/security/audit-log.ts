// The audit log: one JSON object per line for every security decision (auth, ACL denials,
// refused connections, configuration changes, kills, shutdown, limit disconnects). The sink is
// the `audit-log` directive: a file path (appended), "stdout", or "" (off). Writing never throws
// into the caller: a broken sink logs one warning and the event is dropped.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { Server } from '../server/server.js';
import type { Config } from '../config/config.js';

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

  /** A process exit with lines still collected writes them out first. */
  private readonly onExit = (): void => this.flush();

  constructor(
    readonly target: string,
    private readonly onError: (message: string) => void,
  ) {
    if (target === '' || target === 'stdout') return;
    try {
      this.fd = openSync(target, 'a', 0o600);
      process.on('exit', this.onExit);
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
    process.off('exit', this.onExit);
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

/** One server's audit log: the sink the `audit-log` directive names, reopened when it changes. */
export class AuditLog {
  private sink: AuditSink | null = null;

  constructor(
    private readonly config: Config,
    private readonly warn: (message: string) => void,
    /** The server log: every event is also a line there at verbose level, audit log or not. */
    private readonly toLog: ((type: string, fields: AuditFields) => void) | null = null,
  ) {}

  /** Records one event (see auditEvent). */
  event(type: string, fields: AuditFields): void {
    try {
      this.toLog?.(type, fields);
      const target = this.config.str('audit-log');
      let sink = this.sink;
      if (sink === null || sink.target !== target) {
        sink?.close();
        sink = this.sink = new AuditSink(target, this.warn);
      }
      if (sink.target === '') return;
      // ts and event come first and cannot be overridden by a field of the same name.
      const record: AuditFields = { ts: new Date().toISOString(), event: type };
      for (const [k, v] of Object.entries(fields)) if (k !== 'ts' && k !== 'event') record[k] = v;
      sink.write(JSON.stringify(record) + '\n');
    } catch {
      // Auditing must never break the command or connection that triggered it.
    }
  }

  /** Writes what is collected and closes the destination (server shutdown). */
  close(): void {
    this.sink?.close();
    this.sink = null;
  }
}

/**
 * Records one security event in the server's audit log. `fields` should name the client (`addr`,
 * `user`) where there is one; callers never pass secrets (passwords, sensitive config values).
 */
export function auditEvent(server: Server, type: string, fields: AuditFields = {}): void {
  server.audit.event(type, fields);
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
