// The keyspace command family (being built).

import type { CommandSpec } from './spec.js';

export const keyspaceCommands: readonly CommandSpec[] = [];
