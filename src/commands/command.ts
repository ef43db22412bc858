// The command command family (being built).

import type { CommandSpec } from './spec.js';

export const commandCommands: readonly CommandSpec[] = [];
