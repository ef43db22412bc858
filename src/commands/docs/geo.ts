// COMMAND DOCS for the commands of ../geo.ts: summary, first version, complexity, history and
// arguments, keyed by command name ("container|sub" for a subcommand).

import type { DocsTable } from '../spec.js';

const searchCost = 'O(N+log(M)), N the points in the cells around the shape and M the size of the index.';
const doc = (summary: string, since: string, complexity: string, history?: readonly (readonly [string, string])[]) =>
  history === undefined ? { summary, since, group: 'geo', complexity } : { summary, since, group: 'geo', complexity, history };
const deprecated = (replacedBy: string) => ({ docFlags: ['deprecated'] as const, deprecatedSince: '6.2.0', replacedBy });
const upperUnits: [string, string] = ['7.0.0', 'Unit names are accepted in upper case.'];
const anyCount: [string, string] = ['6.2.0', 'Added the `ANY` option for `COUNT`.'];

export const geoDocs: DocsTable = {
  geoadd: doc('Adds positions to a geo index (a sorted set), or updates them.', '3.2.0', 'O(log(N)) per position, N the size of the index.', [['6.2.0', 'Added the `CH`, `NX` and `XX` options.']]),
  geodist: doc('Returns the distance between two members of a geo index.', '3.2.0', 'O(log(N))'),
  geohash: doc('Returns the standard geohash strings of members of a geo index.', '3.2.0', 'O(log(N)) per member, N the size of the index.'),
  geopos: doc('Returns the longitude and latitude of members of a geo index.', '3.2.0', 'O(N), N the number of members asked for.'),
  geosearch: doc('Finds the members of a geo index inside a circle or a box.', '6.2.0', searchCost, [upperUnits]),
  geosearchstore: doc('Stores the members of a geo index inside a circle or a box in another key.', '6.2.0', searchCost, [upperUnits]),
  georadius: { ...doc('Finds the members of a geo index within a distance of a position, optionally storing them.', '3.2.0', searchCost, [anyCount, upperUnits]),
    ...deprecated('`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument') },
  georadiusbymember: { ...doc('Finds the members of a geo index within a distance of a member, optionally storing them.', '3.2.0', searchCost, [upperUnits]),
    ...deprecated('`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments') },
  georadius_ro: { ...doc('Read-only GEORADIUS.', '3.2.10', searchCost, [anyCount]), ...deprecated('`GEOSEARCH` with the `BYRADIUS` argument') },
  georadiusbymember_ro: { ...doc('Read-only GEORADIUSBYMEMBER.', '3.2.10', searchCost), ...deprecated('`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments') },
};
