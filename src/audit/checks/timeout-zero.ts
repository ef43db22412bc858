// timeout 0 keeps idle connections forever: abandoned or slow-loris clients pile up to maxclients.

import { configValue, type Check } from './check.js';

export const timeoutZero: Check = {
  id: 'timeout-zero',
  severity: 'low',
  title: 'Idle clients are never disconnected',
  fix: 'Set timeout to a few minutes (e.g. timeout 300) unless clients rely on idle connections',
  run: (f) => (configValue(f, 'timeout') === '0' ? { evidence: 'timeout 0' } : null),
};
