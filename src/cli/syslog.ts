// `syslog-enabled yes`: log lines to the local syslog socket, as Redis does through syslog(3)
// with openlog(ident, LOG_PID|LOG_NDELAY|LOG_NOWAIT, facility). The socket (/dev/log) is a unix
// datagram socket, which Node cannot open without a native module, so one long-lived util-linux
// `logger` child does the sending: each line goes to its standard input as "<PRI>message", and
// `--prio-prefix` makes it send one RFC 3164 datagram per line ("<PRI>Mmm dd hh:mm:ss ident[pid]:
// message"). A missing or restarted syslog daemon loses lines, as syslog(3) does, never the server.

import { spawn, type ChildProcess } from 'node:child_process';
import type { LineLevel, LogSink } from '../server/log.js';

const FACILITY: Record<string, number> = {
  user: 1,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** Redis's syslogLevelMap: LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING. */
const SEVERITY: Record<LineLevel, number> = { debug: 7, verbose: 6, notice: 5, warning: 4 };

/** Bytes of lines waiting for the logger child beyond which new lines are dropped. */
const MAX_BACKLOG = 1 << 20;

export class SyslogWriter implements LogSink {
  private child: ChildProcess | null;
  private readonly facility: number;

  constructor(ident: string, facility: string, socketPath: string, onError: (message: string) => void) {
    this.facility = FACILITY[facility] ?? 16;
    const child = spawn('logger', ['--prio-prefix', '--socket-errors=off', '-t', ident, `--id=${process.pid}`, '-u', socketPath], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.child = child;
    child.on('error', (err) => {
      this.child = null;
      onError(`syslog is enabled but the logger program cannot run (${err.message}); install util-linux's logger`);
    });
    child.on('exit', () => (this.child = null));
    child.stdin.on('error', () => (this.child = null));
    // The child ends with the server: its standard input closes when the process exits.
    child.unref();
    const stdin = child.stdin as unknown as { unref?: () => void } | null;
    stdin?.unref?.();
  }

  write(level: LineLevel, message: string): void {
    const stdin = this.child?.stdin;
    // A logger that cannot keep up (a stalled syslog daemon) costs lines, not the server's memory.
    if (!stdin || stdin.destroyed || stdin.writableLength > MAX_BACKLOG) return;
    const pri = this.facility * 8 + SEVERITY[level];
    // One line is one datagram: a message's own line breaks become spaces.
    stdin.write(`<${pri}>${message.replace(/[\r\n]+/g, ' ')}\n`);
  }
}
