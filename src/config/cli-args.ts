// The command line, read as redis-server reads it: `[config-file] [--directive value ...] [-]`.
// Each `--name` starts a directive whose values are the words up to the next `--name`; values are
// quoted into a config line, so `--save ""` and `--bind 127.0.0.1 ::1` mean what they would in a file.
// Parsing by hand, not with a CLI library, because the rules must be redis-server's exactly.

import { repr } from './values.js';

export type CommandLine =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'unsupported'; readonly option: string }
  | {
      readonly kind: 'run';
      /** The config file as given (relative to the starting directory), or null. */
      readonly configFile: string | null;
      /** `-`: read configuration text from standard input (after the file). */
      readonly stdin: boolean;
      /** One config line per `--directive`, in order. */
      readonly options: readonly string[];
    };

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const first = argv[0];
  if (first === '-v' || first === '--version') return { kind: 'version' };
  if (first === '-h' || first === '--help') return { kind: 'help' };
  if (first === '--test-memory' || first === '--check-system' || first === '--sentinel') {
    return { kind: 'unsupported', option: first };
  }
  let configFile: string | null = null;
  let stdin = false;
  let j = 0;
  if (first !== undefined && !first.startsWith('-')) {
    configFile = first;
    j = 1;
  }
  const options: string[] = [];
  let current: string | null = null;
  // False right after a bare `--name`: the next word is its value even if it starts with "--".
  let lastHasValue = true;
  for (; j < argv.length; j++) {
    const arg = argv[j];
    if (arg === undefined) break;
    if (arg === '-' && (j === 0 || j === argv.length - 1)) {
      stdin = true;
    } else if (lastHasValue && arg.startsWith('--')) {
      if (current !== null) options.push(current);
      current = arg.slice(2) + ' ';
      lastHasValue = arg.trim().includes(' ');
      if (!lastHasValue && arg.toLowerCase() === '--save') {
        // `--save` with nothing after it means `save ""`, as in redis-server.
        const next = argv[j + 1];
        if (next === undefined || next.startsWith('--')) {
          current += '""';
          lastHasValue = true;
        }
      }
    } else {
      current = (current ?? '') + repr(arg) + ' ';
      lastHasValue = true;
    }
  }
  if (current !== null) options.push(current);
  return { kind: 'run', configFile, stdin, options: options.map((o) => o.trimEnd()) };
}

/** `redoubt --help`. */
export function usage(program: string): string {
  return `Usage: ${program} [/path/to/redoubt.conf] [--directive value ...] [-]
       ${program} -              read the configuration from standard input
       ${program} --check-config [/path/to/redoubt.conf] [--directive value ...]
                                report the security gaps of a configuration; exit 1 on a high one
       ${program} audit [options] host[:port] ...
                                report the exposure of Redis-protocol endpoints (redoubt audit --help)
       ${program} check-rdb FILE    check an RDB file's structure and checksum, as redis-check-rdb
       ${program} check-aof [--fix] FILE|MANIFEST
                                check (or truncate to its last valid command) an AOF, as redis-check-aof
       ${program} cluster-local [--shards N] [--replicas R] [--port BASE] [--dir DIR] [--directive value ...]
                                start N nodes on this machine (default: one per core) as one Redis
                                Cluster and supervise them (redoubt cluster-local --help)
       ${program} -v | --version
       ${program} -h | --help

Redoubt is a Redis 7.0 compatible in-memory data store. It reads redis.conf files: the same
directives, quoting and include rules. Directives given as --name value on the command line are
applied after the config file (and after standard input), so they take precedence.

Examples:
       ${program}                                  start on 127.0.0.1 and ::1, port 6379
       ${program} /etc/redoubt/redoubt.conf
       ${program} --port 7777 --requirepass "a long secret"
       ${program} --bind 127.0.0.1 ::1 --save ""
       ${program} /etc/redoubt/redoubt.conf --loglevel verbose
       echo 'maxclients 100' | ${program} -

Running it as a service: --daemonize yes starts it in the background (the command returns once
the server listens, with its pid in --pidfile), --supervised systemd (or auto) tells systemd when it
is ready and when it stops, --logfile and --syslog-enabled yes send the log elsewhere than
standard output. It refuses to run as root unless REDOUBT_ALLOW_ROOT=yes is in its environment.
packaging/ holds a hardened systemd unit; docs/operations.md describes all of it.

Defaults differ from redis-server where safety asks for it: it listens on loopback addresses
only (bind 127.0.0.1 -::1), dangerous commands (DEBUG, MODULE) are gated, and maxmemory 0 means
half of what the heap can hold rather than no limit. Persistence follows Redis 7.0: RDB save
points "3600 1 300 100 60 10000" into dir/dbfilename, appendonly no. Directives for features
Redoubt does not have yet (replication, cluster...) accept only their "off" value and refuse
any other with an error naming the directive.

CONFIG GET * on a running server lists every directive and its value. Documentation: docs/ in the
Redoubt source tree; directive meanings follow the redis.conf shipped with Redis 7.0.
`;
}
