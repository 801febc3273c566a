/**
 * The import rules of .dependency-cruiser.cjs (also `npm run deps:check`): src/ breaks none of them,
 * each rule does catch what it is meant to (checked on a throwaway tree), and the README's graph is the
 * one `npm run deps:graph` draws today. No database.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ICruiseResult } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cruiseSrc,
  describeViolations,
  fenced,
  mermaidGraph,
  README_FILE,
  readmeBlock,
} from '../scripts/deps-graph.js';

describe('import rules (.dependency-cruiser.cjs)', () => {
  let result: ICruiseResult;
  beforeAll(async () => {
    result = await cruiseSrc();
  });

  it('src/ breaks none of them', () => {
    expect(result.summary.totalCruised).toBeGreaterThan(50);
    const violations = describeViolations(result);
    expect(violations, `npm run deps:check:\n${violations.join('\n')}`).toEqual([]);
  });

  it("the README's graph is the one `npm run deps:graph` draws (regenerate: npm run deps:graph -- --write)", () => {
    const block = readmeBlock(readFileSync(README_FILE, 'utf8'));
    expect(
      block,
      'README.md has no <!-- deps-graph:start --> … <!-- deps-graph:end --> block',
    ).not.toBeNull();
    expect(block).toBe(fenced(mermaidGraph(result)));
  });
});

describe('each import rule catches its violation', () => {
  let dir: string;
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'roost-depcruise-'));
    // Allowed: within a module, module → platform/db, route → flow, flow → service, schema and rule.
    write('src/platform/errors.ts', 'export const oops = 1;\n');
    write('src/db/database.ts', "import { oops } from '../platform/errors.js';\nexport const db = oops;\n");
    write(
      'src/modules/b/b.service.ts',
      "import { db } from '../../db/database.js';\nimport { rows } from './b.repository.js';\nexport const b = db + rows;\n",
    );
    write('src/modules/b/b.repository.ts', 'export const rows = 2;\n');
    write('src/modules/b/b.schemas.ts', 'export type B = { id: string };\n');
    write('src/modules/b/b.routes.ts', "import { x } from '../../flows/x.js';\nexport const routes = x;\n");
    write(
      'src/flows/x.ts',
      "import { b } from '../modules/b/b.service.js';\nimport type { B } from '../modules/b/b.schemas.js';\n" +
        'export const x = b;\nexport type X = B;\n',
    );
    write('src/app.ts', "import { routes } from './modules/b/b.routes.js';\nexport const app = routes;\n");
    // Forbidden, one per rule.
    write(
      'src/modules/a/a.service.ts',
      "import { b } from '../b/b.service.js';\nimport { x } from '../../flows/x.js';\nexport const a = b + x;\n",
    );
    write(
      'src/platform/context.ts',
      "import type { B } from '../modules/b/b.schemas.js';\nexport type C = B;\n",
    );
    write('src/db/boot.ts', "import { app } from '../app.js';\nexport const boot = app;\n");
    write(
      'src/flows/y.ts',
      "import { rows } from '../modules/b/b.repository.js';\nimport { routes } from '../modules/b/b.routes.js';\n" +
        'export const y = rows + routes;\n',
    );
    // A cycle held together by a type-only import (it counts: tsPreCompilationDeps).
    write('src/platform/metrics.ts', "import type { Q } from './queue.js';\nexport const m = (q: Q) => q;\n");
    write(
      'src/platform/queue.ts',
      "import { m } from './metrics.js';\nexport type Q = number;\nexport const q = m;\n",
    );
    write('src/platform/missing.ts', "import { gone } from './gone.js';\nexport const missing = gone;\n");
    // Tests are not checked.
    write('src/modules/a/a.test.ts', "import { b } from '../b/b.service.js';\nexport const t = b;\n");
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports exactly the forbidden imports, each under its rule', async () => {
    const result = await cruiseSrc(dir);
    const violations = (result.summary.violations ?? []).map((v) =>
      v.cycle?.length
        ? `${v.rule.name}: ${[...new Set([v.from, ...v.cycle.map((c) => c.name)])].sort().join(' ↔ ')}`
        : `${v.rule.name}: ${v.from} → ${v.to}`,
    );
    expect(violations.sort()).toEqual(
      [
        'no-cross-module: src/modules/a/a.service.ts → src/modules/b/b.service.ts',
        'modules-use-flows-only-from-routes: src/modules/a/a.service.ts → src/flows/x.ts',
        'platform-and-db-below-modules: src/platform/context.ts → src/modules/b/b.schemas.ts',
        'platform-and-db-below-modules: src/db/boot.ts → src/app.ts',
        'flows-use-module-services: src/flows/y.ts → src/modules/b/b.repository.ts',
        'flows-use-module-services: src/flows/y.ts → src/modules/b/b.routes.ts',
        'no-circular: src/platform/metrics.ts ↔ src/platform/queue.ts',
        'not-to-unresolvable: src/platform/missing.ts → ./gone.js',
      ].sort(),
    );
  });
});
