// dir/dbfilename pointing where a written file becomes code or access: ~/.ssh/authorized_keys,
// cron spools, web roots. That is the trace of the classic CONFIG SET dir + SAVE attack.

import { configValue, type Check } from './check.js';

const TARGETS: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /(^|\/)\.ssh(\/|$)|authorized_keys/, what: 'an SSH key directory' },
  { pattern: /^\/(var\/spool\/cron|etc\/cron|var\/spool\/cron\/crontabs)|(^|\/)crontabs?(\/|$)|^\/etc\/cron/, what: 'a cron spool' },
  { pattern: /^\/(var\/www|srv\/www|usr\/share\/nginx|var\/lib\/tomcat|usr\/local\/apache)|(^|\/)(public_html|htdocs|wwwroot)(\/|$)/, what: 'a web root' },
  { pattern: /^\/etc\/?$|^\/etc\/(profile\.d|init\.d|systemd)|^\/root\/?$/, what: 'a system directory' },
];

const FILE_NAMES = /^(authorized_keys2?|root|crontab|.*\.(php|jsp|aspx?|sh|py))$/;

export const fileWriteTarget: Check = {
  id: 'file-write-target',
  severity: 'critical',
  title: 'dir or dbfilename points at an SSH, cron or web location',
  fix: 'Restore dir and dbfilename (e.g. /var/lib/redis and dump.rdb), look for planted files and keys, rotate credentials, and keep enable-protected-configs no',
  run: (f) => {
    const dir = configValue(f, 'dir');
    const file = configValue(f, 'dbfilename');
    const hits: string[] = [];
    if (dir !== undefined) for (const t of TARGETS) if (t.pattern.test(dir)) hits.push(`dir ${dir} is ${t.what}`);
    if (file !== undefined && FILE_NAMES.test(file)) hits.push(`dbfilename ${file} is a file name the file-write attack uses`);
    return hits.length > 0 ? { evidence: hits.join('; ') } : null;
  },
};
