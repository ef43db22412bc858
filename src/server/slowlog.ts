// SLOWLOG: the newest commands that took longer than slowlog-log-slower-than microseconds, with
// their arguments trimmed as Redis trims them (32 arguments, 128 bytes each).

import type { Client } from './client.js';
import type { Command } from '../commands/registry.js';

const MAX_ARGC = 32;
const MAX_STRING = 128;

export interface SlowlogEntry {
  readonly id: number;
  /** Unix time in seconds. */
  readonly time: number;
  readonly usec: number;
  readonly argv: readonly string[];
  readonly addr: string;
  readonly name: string;
}

export class Slowlog {
  entries: SlowlogEntry[] = [];
  private nextId = 0;
  /** slowlog-log-slower-than; negative disables logging. */
  threshold = 10000;
  /** slowlog-max-len */
  maxLen = 128;

  record(c: Client, cmd: Command, argv: readonly string[], usec: number): void {
    if (this.threshold < 0 || usec < this.threshold) return;
    argv = redact(cmd, argv);
    const argc = Math.min(argv.length, MAX_ARGC);
    const kept: string[] = [];
    for (let i = 0; i < argc; i++) {
      const a = argv[i];
      if (a === undefined) break;
      if (argc !== argv.length && i === argc - 1) {
        kept.push(`... (${argv.length - argc + 1} more arguments)`);
      } else {
        kept.push(a.length > MAX_STRING ? `${a.slice(0, MAX_STRING)}... (${a.length - MAX_STRING} more bytes)` : a);
      }
    }
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      usec,
      argv: kept,
      addr: c.addr,
      name: c.name,
    });
    this.trim();
  }

  trim(): void {
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }

  reset(): void {
    this.entries = [];
  }
}

/** argv with the command's secret arguments replaced, as Redis shows them. */
function redact(cmd: Command, argv: readonly string[]): readonly string[] {
  const secrets = cmd.spec.secretArgs?.(argv);
  if (!secrets || secrets.length === 0) return argv;
  const out = argv.slice();
  for (const i of secrets) if (i < out.length) out[i] = '(redacted)';
  return out;
}
