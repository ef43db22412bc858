// The zset command family (being built).

import type { CommandSpec } from './spec.js';

export const zsetCommands: readonly CommandSpec[] = [];
