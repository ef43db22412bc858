// Server log in Redis's format: "pid:M 21 Nov 2026 09:41:46.123 * message". Levels and the
// `logfile` / `loglevel` directives behave as in Redis: an empty logfile means standard output,
// a path is appended to (never truncated, never reopened: rotate with copytruncate). With
// `syslog-enabled yes` every line that passes the level also goes to syslog (see syslog.ts).

import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';
export type LineLevel = Exclude<LogLevel, 'nothing'>;

const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARK: Record<LineLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Where a log line goes besides the file: the syslog writer. */
export interface LogSink {
  write(level: LineLevel, message: string): void;
}

export class Logger {
  level: LogLevel = 'notice';
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
    const d = new Date();
    const stamp =
      `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    const line = `${process.pid}:${this.role} ${stamp} ${MARK[level]} ${message}\n`;
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
