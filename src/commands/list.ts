// The list command family (being built).

import type { CommandSpec } from './spec.js';

export const listCommands: readonly CommandSpec[] = [];
