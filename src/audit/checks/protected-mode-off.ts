// protected-mode no: the last guard that refuses remote clients while the default user has no
// password. Serious when that is the case now, a latent risk otherwise.

import { configValue, type Check } from './check.js';

export const protectedModeOff: Check = {
  id: 'protected-mode-off',
  severity: 'low',
  title: 'Protected mode is off',
  fix: 'CONFIG SET protected-mode yes (and persist it in the configuration file)',
  run: (f) => {
    if (configValue(f, 'protected-mode') !== 'no') return null;
    return f.defaultNopass === true
      ? { evidence: 'protected-mode no while the default user has no password: any client that reaches the port is let in', severity: 'high' }
      : { evidence: 'protected-mode no (the default user has a password, so this only matters if that changes)' };
  },
};
