// The client command family (being built).

import type { CommandSpec } from './spec.js';

export const clientCommands: readonly CommandSpec[] = [];
