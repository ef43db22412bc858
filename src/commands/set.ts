// The set command family (being built).

import type { CommandSpec } from './spec.js';

export const setCommands: readonly CommandSpec[] = [];
