// The shape of one row of the configuration table (parameters.ts). One table drives the config
// file parser, `--directive value` flags, CONFIG GET/SET/REWRITE, INFO and the auditor's checks.

import type { Server } from '../server/server.js';

export type ParamValue = string | number | boolean;

export type ParamKind =
  /** yes/no */
  | 'bool'
  /** integer; `memory` allows units (1k, 5mb, 1gb) */
  | 'int'
  | 'memory'
  /** one of `values` */
  | 'enum'
  /** free text (paths, names) */
  | 'string'
  /** several words kept as one normalized string (bind, save, client-output-buffer-limit) */
  | 'special';

export interface ParamDef {
  readonly name: string;
  readonly alias?: string;
  readonly kind: ParamKind;
  /** Default, written as it would be in redis.conf. */
  readonly default: string;
  /** Cannot change at runtime (CONFIG SET refuses it). */
  readonly immutable?: boolean;
  /** Changes only with enable-protected-configs (paths that enable the file-write attack). */
  readonly protected?: boolean;
  /** Redacted in CONFIG GET, logs and audit events. */
  readonly sensitive?: boolean;
  /** Not listed by CONFIG GET * (Redis's HIDDEN_CONFIG). */
  readonly hidden?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  /** For enums of flags (e.g. `--flags a b`): several values allowed, space-separated. */
  readonly multi?: boolean;
  /**
   * The feature behind this directive does not exist yet: only these values (the ones that
   * mean "off") are accepted, any other is refused with an error naming the directive.
   */
  readonly onlyOff?: readonly string[];
  /** Extra validation/normalization for special and string kinds: returns the normalized value or an Error. */
  readonly parse?: (raw: string[]) => string | Error;
  /** Renders the stored value for CONFIG GET when it is not the plain value. */
  readonly render?: (value: ParamValue) => string;
  /** Runs after a runtime or startup change; an Error rolls the change back. */
  readonly apply?: (server: Server, value: ParamValue) => Error | void;
}

/** A directive's value was refused; the message is Redis's wording for CONFIG SET and config files. */
export class ConfigError extends Error {}
