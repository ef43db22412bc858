// MODULE: Redoubt cannot load Redis's native modules, so LIST is always empty and LOAD/LOADEX
// fail with Redis's own error. LOAD, LOADEX and UNLOAD are gated by enable-module-command in the
// dispatcher (src/security/gates.ts), exactly as Redis gates them.

import * as E from '../errors.js';
import { arg } from '../protocol/args.js';
import { replyHelp } from './server.js';
import { NO_KEYS, withDocs, type CommandSpec } from './spec.js';
import { moduleDocs } from './docs/module.js';
import type { Client } from '../server/client.js';

function moduleList(c: Client): void {
  c.reply.array(0);
}

function moduleLoad(c: Client, argv: string[]): void {
  c.server.log.warning(`Module ${arg(argv, 2)} failed to load: Redoubt does not support native Redis modules`);
  c.reply.error(E.MODULE_LOAD_FAILED);
}

function moduleUnload(c: Client): void {
  c.reply.error(E.MODULE_UNLOAD_FAILED);
}

const HELP = [
  'LIST',
  '    Return a list of loaded modules.',
  'LOAD <path> [<arg> ...]',
  '    Load a module library from <path>, passing to it any optional arguments.',
  'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
  '    Load a module library from <path>, while passing it module configurations and optional arguments.',
  'UNLOAD <name>',
  '    Unload a module.',
];

function moduleHelp(c: Client): void {
  replyHelp(c, 'MODULE', HELP);
}

const loadFlags = ['admin', 'noscript', 'no_async_loading', 'protected'] as const;
const adminAcl = ['admin', 'slow', 'dangerous'] as const;

export const moduleCommands: readonly CommandSpec[] = withDocs(moduleDocs, [
  {
    name: 'module',
    arity: -2,
    flags: [],
    acl: ['slow'],
    keys: NO_KEYS,
    subcommands: [
      { name: 'unload', arity: 3, flags: loadFlags, acl: adminAcl, keys: NO_KEYS, run: moduleUnload },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'], keys: NO_KEYS, run: moduleHelp },
      { name: 'load', arity: -3, flags: loadFlags, acl: adminAcl, keys: NO_KEYS, run: moduleLoad },
      { name: 'loadex', arity: -3, flags: loadFlags, acl: adminAcl, keys: NO_KEYS, run: moduleLoad },
      { name: 'list', arity: 2, flags: ['admin', 'noscript'], acl: adminAcl, keys: NO_KEYS, run: moduleList, tips: ['nondeterministic_output_order'] },
    ],
  },
]);
