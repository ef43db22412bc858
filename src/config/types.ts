// The shape of one row of the configuration table (parameters.ts). One table drives the config
// file parser, `--directive value` flags, CONFIG GET/SET/REWRITE, INFO and the auditor's checks.

/**
 * A stored value: booleans for yes/no, bigint for numbers (exact up to 2^64, as Redis's long
 * long and size_t configs), strings for enums, text and multi-word directives.
 */
export type ParamValue = string | bigint | boolean;

type ParamKind =
  /** yes/no */
  | 'bool'
  /** integer, read with string2ll (or strtoll base 8 when `octal`) */
  | 'int'
  /** bytes with an optional unit (1k, 5mb, 1gb), read with memtoull; `percent` also allows "N%" */
  | 'memory'
  /** one of `values`; several at once when `multi` (bit flags, e.g. shutdown-on-sigterm) */
  | 'enum'
  /** free text (paths, names, passwords) */
  | 'string'
  /** its own `parse`: several words (bind, save, client-output-buffer-limit) or special rules */
  | 'special';

/** The listeners a port directive governs: plain TCP (port) or TLS (tls-port). */
export type PortKind = 'tcp' | 'tls';

/**
 * What a runtime change of a directive can reach in the running server: the apply hooks of the
 * table call these (the server implements them), so the table needs nothing above config/.
 */
export interface ConfigTarget {
  /** Rebuilds the running TLS listeners' context from the directives in force; an Error refuses the change. */
  reloadTls(): Error | undefined;
  /** The no-open-door rule on the directives in force: an Error refuses the change. */
  refuseOpenDoor(): Error | undefined;
  /** requirepass: the default user's only password ('' makes it nopass). */
  setDefaultPassword(password: string): void;
  /** auth-failure-throttling off: every failure count and lockout is forgotten. */
  forgetAuthFailures(): void;
  /** maxmemory: an Error when the process's heap cannot hold that much (docs/memory.md). */
  fitMaxmemory(bytes: bigint): Error | undefined;
  /** appendonly: yes opens the AOF (a BASE by rewrite first), no closes it; an Error refuses the change. */
  setAppendOnly(on: boolean): Error | undefined;
  /**
   * port, tls-port, ahead of the change: listens on `port` at every bind address, connections
   * refused until switchPort adopts it. A failure is kept for switchPort to report.
   */
  bindPort(kind: PortKind, port: number): Promise<void>;
  /**
   * port, tls-port: serves on the port bindPort bound (0: stops listening for that kind); the
   * listeners it replaces stay open until the CONFIG SET ends, for a rollback. An Error refuses the change.
   */
  switchPort(kind: PortKind, port: number): Error | undefined;
  /** cluster-allowed-peers changed: the bus's allowlist follows. */
  setClusterAllowedPeers(): Error | undefined;
  /** tls-cluster changed: refused (an Error) while the cluster bus runs, which chose TLS or TCP at startup. */
  setTlsCluster(): Error | undefined;
  /** After a change: config values kept outside the table (log level, slowlog, limits...) are read again. */
  applyConfig(): void;
}

/** One line CONFIG REWRITE wants in the file, and whether it must be written when absent. */
export interface RewriteLine {
  readonly line: string;
  readonly force: boolean;
}

export interface ParamDef {
  readonly name: string;
  /** The old name still accepted everywhere (slaveof, hash-max-ziplist-entries...). */
  readonly alias?: string;
  readonly kind: ParamKind;
  /** Default, as CONFIG GET shows it. */
  readonly default: string;
  /** Cannot change at runtime (CONFIG SET refuses it). */
  readonly immutable?: boolean;
  /** Changes only with enable-protected-configs (paths that enable the file-write attack). */
  readonly protected?: boolean;
  /** A secret: redacted from SLOWLOG and MONITOR (and, with the security layer, CONFIG GET). */
  readonly sensitive?: boolean;
  /** Not listed by CONFIG GET patterns, only by its exact name (Redis's HIDDEN_CONFIG). */
  readonly hidden?: boolean;
  /** Bounds of numeric kinds, inclusive. */
  readonly min?: bigint;
  readonly max?: bigint;
  /** Bounds are checked as unsigned 64-bit, as Redis does for unsigned int, size_t, unsigned long long. */
  readonly unsigned?: boolean;
  /** int read in base 8 and shown in base 8 (unixsocketperm). */
  readonly octal?: boolean;
  /** memory that also takes "N%" (stored negative, as Redis). */
  readonly percent?: boolean;
  /** After the bounds check, the value is brought into this range (hz: 1..500). */
  readonly clamp?: readonly [bigint, bigint];
  readonly values?: readonly string[];
  /** Takes several words (MULTI_ARG_CONFIG): a file line's arguments, or CONFIG SET's value split on spaces. */
  readonly multi?: boolean;
  /** Empty text means "not set" (EMPTY_STRING_IS_NULL): CONFIG REWRITE then drops its lines. */
  readonly nullIfEmpty?: boolean;
  /** Repeated lines in one config file add up instead of replacing (save). */
  readonly accumulate?: boolean;
  /**
   * The feature behind this directive does not exist yet: only these values (the ones that
   * mean "off") are accepted, any other is refused with an error naming the directive.
   */
  readonly onlyOff?: readonly string[];
  /** What is missing, for the onlyOff error ("persistence", "replication"...). */
  readonly feature?: string;
  /**
   * Parses the words of a special directive (or validates a string) into the stored value;
   * `current` is the value now in force, for directives that update part of it.
   */
  readonly parse?: (words: string[], current: ParamValue) => ParamValue | Error;
  /** Renders the stored value for CONFIG GET when it is not the plain value. */
  readonly render?: (value: ParamValue) => string;
  /** Side effect of storing the value, at startup and at runtime (dir: chdir). */
  readonly effect?: (value: ParamValue) => Error | undefined;
  /**
   * An asynchronous step before a runtime change (binding a new port): CONFIG SET waits for it,
   * then stores and applies as usual. Runs only when the value changes.
   */
  readonly prepare?: (target: ConfigTarget, value: ParamValue) => Promise<void>;
  /** Runs after a runtime change; an Error rolls the whole CONFIG SET back. */
  readonly apply?: (target: ConfigTarget, value: ParamValue, old: ParamValue) => Error | undefined;
  /** The lines CONFIG REWRITE writes, when not the plain `name value` line. */
  readonly rewrite?: (value: ParamValue, def: ParamDef) => readonly RewriteLine[];
}

/** A directive's value was refused; the message is Redis's wording for CONFIG SET and config files. */
export class ConfigError extends Error {}
