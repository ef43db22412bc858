// maxmemory 0: nothing stops the dataset (or a flood of writes) from growing until the kernel's
// OOM killer ends the process.

import { configValue, type Check } from './check.js';

export const noMaxmemory: Check = {
  id: 'no-maxmemory',
  severity: 'low',
  title: 'No memory limit',
  fix: 'Set maxmemory below the memory available to the process and pick a maxmemory-policy',
  run: (f) => {
    const v = configValue(f, 'maxmemory') ?? (f.fingerprint?.maxmemory !== null && f.fingerprint?.maxmemory !== undefined ? String(f.fingerprint.maxmemory) : undefined);
    return v === '0' ? { evidence: 'maxmemory 0' } : null;
  },
};
