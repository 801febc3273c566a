/**
 * The folder-level import graph of src/ as a Mermaid flowchart, from dependency-cruiser.
 *
 *   npm run deps:graph              print the graph
 *   npm run deps:graph -- --write   replace the block between the deps-graph markers in README.md
 *
 * Nodes: src/modules/<name> (services, repositories, schemas, rules), each route file
 * (src/modules/<name>/<file>.routes) on its own (routes are the HTTP edge and may call flows), src/flows,
 * src/graphql, src/platform, src/db, src/cli and the top-level composition files. One edge per pair of
 * nodes; a dotted edge carries only type imports; an edge in red breaks a rule of .dependency-cruiser.cjs.
 *
 * test/architecture.test.ts uses cruiseSrc (the same cruise as `npm run deps:check`) and checks the
 * README's block against mermaidGraph.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CONFIG_FILE = join(ROOT, '.dependency-cruiser.cjs');
export const README_FILE = join(ROOT, 'README.md');
export const START_MARKER = '<!-- deps-graph:start -->';
export const END_MARKER = '<!-- deps-graph:end -->';

/** The cruise options of .dependency-cruiser.cjs (rules included). */
export async function loadOptions(): Promise<ICruiseOptions> {
  return extractDepcruiseOptions(CONFIG_FILE);
}

/**
 * Cruises `src` under `baseDir` (default: the repository) with the project's rules, as
 * `npm run deps:check` does. `baseDir` lets a test run the same rules over a throwaway tree.
 */
export async function cruiseSrc(baseDir: string = ROOT): Promise<ICruiseResult> {
  const options = await loadOptions();
  const tsConfigFile = join(ROOT, 'tsconfig.json');
  const result = await cruise(
    ['src'],
    { ...options, baseDir, tsConfig: { fileName: tsConfigFile } },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  if (typeof result.output === 'string') {
    throw new Error('dependency-cruiser returned a report, not a result');
  }
  return result.output;
}

/** One line per violation: `from → to (rule)`; a cycle lists its files. */
export function describeViolations(result: ICruiseResult): string[] {
  return (result.summary.violations ?? []).map((v) => {
    const cycle = v.cycle?.length ? ` [cycle: ${[v.from, ...v.cycle.map((c) => c.name)].join(' → ')}]` : '';
    return `${v.from} → ${v.to} (${v.rule.name})${cycle}`;
  });
}

/**
 * The graph node a file belongs to. A module's route files come first so they stay their own node;
 * src/platform/queue/jobs.routes.ts belongs to src/platform.
 */
const NODE = /^src\/(modules\/[^/]+\/[^/]+\.routes|modules\/[^/]+|flows|graphql|platform|db|cli)(\/|\.ts$)/;

export function nodeOf(file: string): string {
  const match = NODE.exec(file);
  if (match) return `src/${match[1]}`;
  return file; // a top-level composition file (src/app.ts, src/server.ts, …)
}

function nodeId(node: string): string {
  return node.replace(/^src\//, '').replace(/[^A-Za-z0-9]+/g, '_');
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
  violation: boolean;
}

/** The folder-level graph of src/ (tests excluded) as a Mermaid `flowchart TD`. */
export function mermaidGraph(result: ICruiseResult): string {
  const violating = new Set(
    (result.summary.violations ?? []).map((v) => `${nodeOf(v.from)}\0${nodeOf(v.to)}`),
  );
  const nodes = new Set<string>();
  const edges = new Map<string, Edge>();
  for (const module of result.modules) {
    if (!module.source.startsWith('src/')) continue;
    const from = nodeOf(module.source);
    nodes.add(from);
    for (const dependency of module.dependencies) {
      if (!dependency.resolved.startsWith('src/')) continue;
      const to = nodeOf(dependency.resolved);
      if (to === from) continue;
      const key = `${from}\0${to}`;
      const typeOnly = dependency.dependencyTypes.includes('type-only');
      const edge = edges.get(key);
      if (edge) edge.typeOnly &&= typeOnly;
      else edges.set(key, { from, to, typeOnly, violation: violating.has(key) });
    }
  }
  const lines = ['flowchart TD'];
  for (const node of [...nodes].sort()) lines.push(`  ${nodeId(node)}["${node}"]`);
  const sorted = [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  for (const edge of sorted) {
    lines.push(`  ${nodeId(edge.from)} ${edge.typeOnly ? '-.->' : '-->'} ${nodeId(edge.to)}`);
  }
  const red = sorted.flatMap((edge, index) => (edge.violation ? [index] : []));
  if (red.length > 0) lines.push(`  linkStyle ${red.join(',')} stroke:#d00,stroke-width:2px`);
  return lines.join('\n');
}

/** The README's fenced block between the markers (null when the markers are missing). */
export function readmeBlock(readme: string): string | null {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) return null;
  return readme.slice(start + START_MARKER.length, end).trim();
}

export function fenced(graph: string): string {
  return `\`\`\`mermaid\n${graph}\n\`\`\``;
}

export function replaceReadmeBlock(readme: string, graph: string): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START_MARKER} … ${END_MARKER} block`);
  return `${readme.slice(0, start + START_MARKER.length)}\n${fenced(graph)}\n${readme.slice(end)}`;
}

async function main(): Promise<void> {
  const graph = mermaidGraph(await cruiseSrc());
  if (process.argv.includes('--write')) {
    const readme = readFileSync(README_FILE, 'utf8');
    const updated = replaceReadmeBlock(readme, graph);
    if (updated !== readme) writeFileSync(README_FILE, updated);
    console.log(updated === readme ? 'README.md graph is up to date' : 'README.md graph updated');
  } else {
    console.log(graph);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
