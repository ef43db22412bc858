// The hash command family (being built).

import type { CommandSpec } from './spec.js';

export const hashCommands: readonly CommandSpec[] = [];
