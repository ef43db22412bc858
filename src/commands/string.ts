// The string command family (being built).

import type { CommandSpec } from './spec.js';

export const stringCommands: readonly CommandSpec[] = [];
