import { RuleTester } from 'eslint';
import { join } from 'node:path';
import plugin from './module-boundaries.mjs';

// The rule resolves relative imports against the linted file's place under <cwd>/src (the repository).
const at = (path) => join(process.cwd(), path);
const tester = new RuleTester({ languageOptions: { ecmaVersion: 2022, sourceType: 'module' } });

tester.run('module-boundaries', plugin.rules['module-boundaries'], {
  valid: [
    {
      code: "import { LedgerService } from '../ledger';",
      filename: at('src/modules/propagation/worker.ts'),
    },
    { code: "import { X } from './internal';", filename: at('src/modules/ledger/ledger.service.ts') },
    {
      code: "import { SubjectEntity } from '../../ledger/entities/subject.entity';",
      filename: at('src/modules/connectors/entities/connection-record.entity.ts'),
    },
    {
      code: "import { Pacer } from '../../platform/pacing/pacer';",
      filename: at('src/modules/ledger/a.ts'),
    },
    { code: "import { LedgerModule } from './modules/ledger';", filename: at('src/app.module.ts') },
    // Specs may reach into anything.
    {
      code: "import { x } from '../propagation/worker';",
      filename: at('src/modules/vendors/a.spec.ts'),
    },
  ],
  invalid: [
    {
      code: "import { PropagationKicker } from '../propagation';",
      filename: at('src/modules/vendors/dpa.service.ts'),
      errors: [{ messageId: 'notAllowed' }],
    },
    {
      code: "import { LedgerService } from '../ledger/ledger.service';",
      filename: at('src/modules/propagation/worker.ts'),
      errors: [{ messageId: 'deepImport' }],
    },
    {
      code: "import { AuditService } from '../../modules/audit';",
      filename: at('src/platform/http/problem.ts'),
      errors: [{ messageId: 'libraryImportsModule' }],
    },
    {
      code: "export { DPA_MISSING } from '../vendors/registry.types';",
      filename: at('src/modules/propagation/dpa-hold.ts'),
      errors: [{ messageId: 'deepImport' }],
    },
  ],
});
