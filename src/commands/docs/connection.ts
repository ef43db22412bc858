// COMMAND DOCS for the commands of ../connection.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const doc = (summary: string, since: string, complexity = 'O(1)') => ({ summary, since, group: 'connection', complexity });

export const connectionDocs: DocsTable = {
  ping: { ...doc('Answers PONG, or echoes the message given.', '1.0.0'), arguments: [{ name: 'message', type: 'string', optional: true }] },
  echo: { ...doc('Returns the message given.', '1.0.0'), arguments: [{ name: 'message', type: 'string' }] },
  // Deprecated in Redis 7.2: clients just close the connection.
  quit: { ...doc('Closes the connection after replying.', '1.0.0'), docFlags: ['deprecated'], deprecatedSince: '7.2.0', replacedBy: 'just closing the connection' },
  reset: doc('Returns the connection to its initial state.', '6.2.0'),
  select: { ...doc('Switches the connection to another numbered database.', '1.0.0'), arguments: [{ name: 'index', type: 'integer' }] },
  hello: {
    ...doc('Negotiates the protocol version, optionally authenticating and naming the connection.', '6.0.0'),
    history: [['6.2.0', '`protover` became optional; without arguments HELLO reports the connection context.']],
    arguments: [
      {
        name: 'arguments', type: 'block', optional: true,
        arguments: [
          { name: 'protover', type: 'integer' },
          {
            name: 'username_password', type: 'block', token: 'AUTH', optional: true,
            arguments: [{ name: 'username', type: 'string' }, { name: 'password', type: 'string' }],
          },
          { name: 'clientname', type: 'string', token: 'SETNAME', optional: true },
        ],
      },
    ],
  },
  auth: {
    ...doc('Authenticates the connection as a user.', '1.0.0', 'O(N) where N is the number of passwords defined for the user'),
    history: [['6.0.0', 'Takes a user name before the password (ACL).']],
    arguments: [
      { name: 'username', type: 'string', since: '6.0.0', optional: true },
      { name: 'password', type: 'string' },
    ],
  },
};
