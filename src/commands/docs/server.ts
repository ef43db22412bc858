// COMMAND DOCS for the commands of ../server.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

export const serverDocs: DocsTable = {
  info: { summary: 'Reports information and statistics about the server.', since: '1.0.0', group: 'server', complexity: 'O(1)',
    history: [['7.0.0', 'Several sections may be asked for at once.']],
    arguments: [{ name: 'section', type: 'string', optional: true, multiple: true }] },
  time: { summary: 'Returns the server clock as seconds and microseconds.', since: '2.6.0', group: 'server', complexity: 'O(1)' },
  slowlog: { summary: 'Container for the slow log subcommands.', since: '2.2.12', group: 'server', complexity: 'Depends on subcommand.' },
  'slowlog|get': { summary: 'Returns the newest slow log entries.', since: '2.2.12', group: 'server', complexity: 'O(N) where N is the number of entries returned',
    history: [['4.0.0', 'Entries carry the client address and name.']],
    arguments: [{ name: 'count', type: 'integer', optional: true }] },
  'slowlog|len': { summary: 'Returns how many entries the slow log holds.', since: '2.2.12', group: 'server', complexity: 'O(1)' },
  'slowlog|reset': { summary: 'Empties the slow log.', since: '2.2.12', group: 'server', complexity: 'O(N) where N is the number of entries in the slowlog' },
  'slowlog|help': { summary: 'Lists the SLOWLOG subcommands.', since: '6.2.0', group: 'server', complexity: 'O(1)' },
  latency: { summary: 'Container for the latency monitor subcommands.', since: '2.8.13', group: 'server', complexity: 'Depends on subcommand.' },
  'latency|latest': { summary: 'Returns the newest sample of every latency event.', since: '2.8.13', group: 'server', complexity: 'O(1)' },
  'latency|history': { summary: 'Returns the time and latency samples of one event.', since: '2.8.13', group: 'server', complexity: 'O(1)',
    arguments: [{ name: 'event', type: 'string' }] },
  'latency|reset': { summary: 'Forgets the samples of some or all latency events.', since: '2.8.13', group: 'server', complexity: 'O(1)',
    arguments: [{ name: 'event', type: 'string', optional: true, multiple: true }] },
  'latency|graph': { summary: 'Draws the samples of one latency event as text.', since: '2.8.13', group: 'server', complexity: 'O(1)',
    arguments: [{ name: 'event', type: 'string' }] },
  'latency|doctor': { summary: 'Explains the recorded latency events in prose.', since: '2.8.13', group: 'server', complexity: 'O(1)' },
  'latency|histogram': { summary: 'Returns the cumulative distribution of latencies of a subset or all commands.', since: '7.0.0', group: 'server',
    complexity: 'O(N) where N is the number of commands with latency information being retrieved.',
    arguments: [{ name: 'command', type: 'string', optional: true, multiple: true }] },
  'latency|help': { summary: 'Lists the LATENCY subcommands.', since: '2.8.13', group: 'server', complexity: 'O(1)' },
  monitor: { summary: 'Streams every command the server runs, as it runs it.', since: '1.0.0', group: 'server', complexity: 'O(1)' },
  shutdown: { summary: 'Stops the server, saving first when asked to.', since: '1.0.0', group: 'server',
    complexity: 'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)',
    history: [['7.0.0', 'The `NOW`, `FORCE` and `ABORT` modifiers.']],
    arguments: [
      { name: 'nosave_save', type: 'oneof', optional: true, arguments: [
        { name: 'nosave', type: 'pure-token', token: 'NOSAVE' },
        { name: 'save', type: 'pure-token', token: 'SAVE' },
      ] },
      { name: 'now', type: 'pure-token', token: 'NOW', since: '7.0.0', optional: true },
      { name: 'force', type: 'pure-token', token: 'FORCE', since: '7.0.0', optional: true },
      { name: 'abort', type: 'pure-token', token: 'ABORT', since: '7.0.0', optional: true },
    ] },
};
