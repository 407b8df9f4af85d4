import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SoftwareSecurityModule } from '../src/module/software-module.js';
import { securityModuleConformance } from './conformance-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'smgw-sm-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

securityModuleConformance('software, in memory', () => SoftwareSecurityModule.open());
securityModuleConformance('software, keystore file', () =>
  SoftwareSecurityModule.open({
    path: join(dir, `conf-${n++}.smgwks`),
    pin: '1234567890',
    create: true,
    kdf: { N: 2 ** 10 },
  }),
);
