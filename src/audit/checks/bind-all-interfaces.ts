// bind on the wildcard addresses (or no bind at all) listens on every interface, public ones
// included; Redis's shipped redis.conf binds to loopback for that reason.

import { configValue, type Check } from './check.js';

const WILDCARD = new Set(['*', '0.0.0.0', '::', '::*', '-*', '-::*', '-0.0.0.0', '-::']);

export const bindAllInterfaces: Check = {
  id: 'bind-all-interfaces',
  severity: 'medium',
  title: 'Listens on all network interfaces',
  fix: 'bind only the loopback and private addresses clients use (e.g. bind 127.0.0.1 10.0.0.5), and firewall the port',
  run: (f) => {
    const bind = configValue(f, 'bind');
    if (bind === undefined) return null;
    const words = bind.split(' ').filter((w) => w !== '');
    if (words.length === 0) return { evidence: 'bind is empty: the server listens on every interface' };
    const wild = words.filter((w) => WILDCARD.has(w));
    return wild.length > 0 ? { evidence: `bind "${bind}" includes the wildcard address ${wild.join(', ')}` } : null;
  },
};
