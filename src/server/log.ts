// Server log in Redis's format: "pid:M 21 Nov 2026 09:41:46.123 * message", or with `log-format
// json` one object per line ({"ts","pid","role","level","message"}; a security event carries the
// audit log's fields instead of a message). Levels and the `logfile` / `loglevel` directives
// behave as in Redis: an empty logfile means standard output, a path is appended to (never
// truncated, never reopened: rotate with copytruncate). With `syslog-enabled yes` every line
// that passes the level also goes to syslog (see cli/syslog.ts).

import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';
export type LineLevel = Exclude<LogLevel, 'nothing'>;

const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARK: Record<LineLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** A security event's fields, as the audit log has them (never a secret). */
export type EventFields = Record<string, string | number | boolean>;

/** Where a log line goes besides the file: the syslog writer. */
export interface LogSink {
  write(level: LineLevel, message: string): void;
}

export class Logger {
  level: LogLevel = 'notice';
  format: 'redis' | 'json' = 'redis';
  /** Path of the log file; '' writes to standard output. */
  file = '';
  role = 'M';
  /** Syslog, when `syslog-enabled yes` (set by the command line's startup). */
  syslog: LogSink | null = null;

  /** Whether a line at `level` would be written: callers skip building costly messages otherwise. */
  enabled(level: LineLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  log(level: LineLevel, message: string): void {
    if (RANK[level] < RANK[this.level]) return;
    // As Redis's serverLogRaw: syslog gets the bare message; syslog adds time, ident and pid.
    this.syslog?.write(level, message);
    this.write(level, { message }, message);
  }

  /**
   * A security event at verbose level: "Security event auth-failed: addr=... user=..." (a value
   * with spaces, quotes or control bytes JSON-quoted), or in JSON the event's own fields.
   */
  event(type: string, fields: EventFields): void {
    if (RANK.verbose < RANK[this.level]) return;
    const text = `Security event ${type}: ${keyValues(fields)}`;
    this.syslog?.write('verbose', text);
    const record: EventFields = { event: type };
    for (const [k, v] of Object.entries(fields)) if (!(k in BASE)) record[k] = v;
    this.write('verbose', record, text);
  }

  private write(level: LineLevel, fields: EventFields, message: string): void {
    const d = new Date();
    let line: string;
    if (this.format === 'json') {
      line = asciiJson({ ts: d.toISOString(), pid: process.pid, role: this.role, level, ...fields }) + '\n';
    } else {
      const stamp =
        `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
        `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
      line = `${process.pid}:${this.role} ${stamp} ${MARK[level]} ${message}\n`;
    }
    if (this.file === '') {
      process.stdout.write(line);
    } else {
      try {
        appendFileSync(this.file, line);
      } catch {
        process.stderr.write(line);
      }
    }
  }

  debug(m: string): void {
    this.log('debug', m);
  }
  verbose(m: string): void {
    this.log('verbose', m);
  }
  notice(m: string): void {
    this.log('notice', m);
  }
  warning(m: string): void {
    this.log('warning', m);
  }
}

/** The fields every JSON line has; an event's own field of the same name cannot replace them. */
const BASE = { ts: true, pid: true, role: true, level: true, event: true };

/** `key=value ...`; a value with spaces, quotes or control bytes is JSON-quoted. */
function keyValues(fields: EventFields): string {
  return Object.entries(fields)
    .map(([k, v]) => {
      const text = String(v);
      // Anything but printable ASCII is quoted, and every byte outside it escaped: a client-chosen
      // value (a user name) can neither end the line nor send a terminal an escape sequence.
      const plain = text !== '' && /^[\x21\x23-\x5b\x5d-\x7e]*$/.test(text);
      return `${k}=${plain ? text : asciiJson(text)}`;
    })
    .join(' ');
}

/** JSON with every character outside printable ASCII escaped: still JSON, never a raw control byte. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\x7f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
