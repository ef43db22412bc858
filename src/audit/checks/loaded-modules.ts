// Loaded modules run native code inside the server. Names used by the rogue-master and exploit
// kits (system.exec, exp.so) are critical; any other module is listed for review.

import type { Check } from './check.js';

const KNOWN_BAD = /^(system|exp|exp_lin|evil|shell|rce|backdoor)$/i;

export const loadedModules: Check = {
  id: 'loaded-modules',
  severity: 'low',
  title: 'Native modules are loaded',
  fix: 'Check each module is one you installed (MODULE LIST); unload unknown ones and keep enable-module-command no',
  run: (f) => {
    const mods = f.fingerprint?.modules ?? [];
    if (mods.length === 0) return null;
    const list = mods.map((m) => `${m.name} (ver ${m.version})`).join(', ');
    const bad = mods.filter((m) => KNOWN_BAD.test(m.name));
    if (bad.length > 0) return { evidence: `module ${bad.map((m) => m.name).join(', ')} matches a known exploit module name; loaded: ${list}`, severity: 'critical' };
    return { evidence: `loaded: ${list}` };
  },
};
