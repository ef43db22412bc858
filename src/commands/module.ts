// MODULE: Redoubt cannot load Redis's native modules, so LIST is always empty and LOAD/LOADEX
// fail with Redis's own error. LOAD, LOADEX and UNLOAD are gated by enable-module-command in the
// dispatcher (src/security/gates.ts), exactly as Redis gates them.

import * as E from '../errors.js';
import { replyHelp } from './server.js';
import { NO_KEYS, type CommandSpec } from './spec.js';
import type { Client } from '../server/client.js';

function moduleList(c: Client): void {
  c.reply.array(0);
}

function moduleLoad(c: Client, argv: string[]): void {
  c.server.log.warning(`Module ${argv[2]!} failed to load: Redoubt does not support native Redis modules`);
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
const doc = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'server', complexity });

export const moduleCommands: readonly CommandSpec[] = [
  {
    name: 'module',
    arity: -2,
    flags: [],
    acl: ['slow'],
    keys: NO_KEYS,
    docs: doc('Container for the module subcommands.', '4.0.0', 'Depends on subcommand.'),
    subcommands: [
      {
        name: 'unload', arity: 3, flags: loadFlags, acl: adminAcl, keys: NO_KEYS, run: moduleUnload,
        docs: { ...doc('Unloads a module.', '4.0.0'), arguments: [{ name: 'name', type: 'string' }] },
      },
      { name: 'help', arity: 2, flags: ['loading', 'stale'], acl: ['slow'], keys: NO_KEYS, run: moduleHelp, docs: doc('Describes the MODULE subcommands.', '5.0.0') },
      {
        name: 'load', arity: -3, flags: loadFlags, acl: adminAcl, keys: NO_KEYS, run: moduleLoad,
        docs: {
          ...doc('Loads a module from a shared library.', '4.0.0'),
          arguments: [
            { name: 'path', type: 'string' },
            { name: 'arg', type: 'string', optional: true, multiple: true },
          ],
        },
      },
      {
        name: 'loadex', arity: -3, flags: loadFlags, acl: adminAcl, keys: NO_KEYS, run: moduleLoad,
        docs: {
          ...doc('Loads a module with configuration values and arguments.', '7.0.0'),
          arguments: [
            { name: 'path', type: 'string' },
            {
              name: 'configs', type: 'block', token: 'CONFIG', optional: true, multiple: true, multipleToken: true,
              arguments: [
                { name: 'name', type: 'string' },
                { name: 'value', type: 'string' },
              ],
            },
            { name: 'args', type: 'block', token: 'ARGS', optional: true, multiple: true, arguments: [{ name: 'arg', type: 'string' }] },
          ],
        },
      },
      {
        name: 'list', arity: 2, flags: ['admin', 'noscript'], acl: adminAcl, keys: NO_KEYS, run: moduleList,
        tips: ['nondeterministic_output_order'],
        docs: doc('Lists the loaded modules.', '4.0.0', 'O(N) where N is the number of loaded modules.'),
      },
    ],
  },
];
