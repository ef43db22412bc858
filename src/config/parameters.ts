// The configuration table: every Redis 7.0 directive, its kind, default and rules, and the
// directives Redoubt adds. A directive whose feature does not exist yet lists `onlyOff`: the
// values that mean "off" are accepted, anything else is refused by name, never silently ignored.

import { ConfigError, type ParamDef } from './types.js';

const MAX_INT = 2147483647;
const MAX_LONG = Number.MAX_SAFE_INTEGER;

const yes = (name: string, extra: Partial<ParamDef> = {}): ParamDef => ({ name, kind: 'bool', default: 'yes', ...extra });
const no = (name: string, extra: Partial<ParamDef> = {}): ParamDef => ({ name, kind: 'bool', default: 'no', ...extra });

/** `save ""` or `save <seconds> <changes> [...]`, stored as Redis shows it. */
function parseSave(words: string[]): string | Error {
  if (words.length === 1 && words[0] === '') return '';
  if (words.length % 2 !== 0) return new ConfigError('Invalid save parameters');
  for (const w of words) if (!/^\d+$/.test(w)) return new ConfigError('Invalid save parameters');
  return words.join(' ');
}

export const parameters: readonly ParamDef[] = [
  // --- network ---
  { name: 'port', kind: 'int', default: '6379', min: 0, max: 65535 },
  { name: 'bind', kind: 'special', default: '127.0.0.1 -::1' },
  { name: 'tcp-backlog', kind: 'int', default: '511', min: 0, max: MAX_INT, immutable: true },
  { name: 'unixsocket', kind: 'string', default: '', immutable: true },
  { name: 'unixsocketperm', kind: 'string', default: '0', immutable: true },
  { name: 'timeout', kind: 'int', default: '0', min: 0, max: MAX_INT },
  { name: 'tcp-keepalive', kind: 'int', default: '300', min: 0, max: MAX_INT },
  yes('protected-mode'),
  { name: 'maxclients', kind: 'int', default: '10000', min: 1, max: MAX_INT },
  { name: 'proto-max-bulk-len', kind: 'memory', default: '512mb', min: 1024 * 1024, max: MAX_LONG },
  { name: 'client-query-buffer-limit', kind: 'memory', default: '1gb', min: 1024 * 1024, max: MAX_LONG },

  // --- general ---
  { name: 'databases', kind: 'int', default: '16', min: 1, max: MAX_INT, immutable: true },
  { name: 'loglevel', kind: 'enum', default: 'notice', values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] },
  { name: 'logfile', kind: 'string', default: '', immutable: true },
  no('daemonize', { immutable: true, onlyOff: ['no'] }),
  { name: 'pidfile', kind: 'string', default: '', immutable: true },
  { name: 'hz', kind: 'int', default: '10', min: 1, max: 500 },

  // --- security ---
  { name: 'requirepass', kind: 'string', default: '', sensitive: true },

  // --- persistence (not implemented yet: only "off") ---
  { name: 'save', kind: 'special', default: '', parse: parseSave, onlyOff: [''] },
  no('appendonly', { onlyOff: ['no'] }),
  { name: 'dir', kind: 'string', default: './', protected: true },
  { name: 'dbfilename', kind: 'string', default: 'dump.rdb', protected: true },

  // --- diagnostics ---
  { name: 'slowlog-log-slower-than', kind: 'int', default: '10000', min: -1, max: MAX_LONG },
  { name: 'slowlog-max-len', kind: 'int', default: '128', min: 0, max: MAX_LONG },
  { name: 'latency-monitor-threshold', kind: 'int', default: '0', min: 0, max: MAX_LONG },
];
