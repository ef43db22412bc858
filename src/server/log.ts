// Server log in Redis's format: "pid:M 21 Nov 2026 09:41:46.123 * message". Levels and the
// `logfile` / `loglevel` directives behave as in Redis; an empty logfile means standard output.

import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';

const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARK: Record<Exclude<LogLevel, 'nothing'>, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export class Logger {
  level: LogLevel = 'notice';
  /** Path of the log file; '' writes to standard output. */
  file = '';
  role = 'M';

  log(level: Exclude<LogLevel, 'nothing'>, message: string): void {
    if (RANK[level] < RANK[this.level]) return;
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
