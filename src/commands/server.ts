// The server command family (being built).

import type { CommandSpec } from './spec.js';

export const serverCommands: readonly CommandSpec[] = [];
