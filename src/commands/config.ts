// The config command family (being built).

import type { CommandSpec } from './spec.js';

export const configCommands: readonly CommandSpec[] = [];
