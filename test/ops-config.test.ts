/**
 * The operations files agree with the code: every Roost metric the Grafana dashboard queries exists,
 * with the labels it groups by (after Prometheus's relabelling: the metrics' `job` label is ingested as
 * `job_name`, see ops/prometheus/prometheus.yml), and Prometheus scrapes the worker on the port the worker
 * listens on by default and that docker-compose.yml sets and exposes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../src/db/replicas.js'; // registers the read-replica metrics
import '../src/platform/cache.js'; // registers the dependency metrics
import { ConfigSchema } from '../src/platform/config.js';
import { registry } from '../src/platform/metrics.js';

const root = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Panel {
  title: string;
  targets: { expr: string }[];
}

/** Labels a query may group by besides a metric's own: the scrape target's, and histograms' `le`. */
const TARGET_LABELS = ['job', 'instance'];

/** The labels a Roost metric has once Prometheus has ingested it. */
function ingestedLabels(metric: string): string[] | undefined {
  const m = registry.getSingleMetric(metric.replace(/_(bucket|count|sum)$/, ''));
  if (!m) return undefined;
  const own = (m as unknown as { labelNames: string[] }).labelNames.map((l) =>
    l === 'job' ? 'job_name' : l,
  );
  return [...own, ...TARGET_LABELS, ...(metric.endsWith('_bucket') ? ['le'] : [])];
}

describe('ops/grafana/dashboards/roost.json', () => {
  const dashboard = JSON.parse(read('ops/grafana/dashboards/roost.json')) as { panels: Panel[] };

  it('queries only Roost metrics that exist, grouped by labels they have', () => {
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        const metrics = [...expr.matchAll(/\b(roost_[a-z_]+)/g)].map((m) => m[1]!);
        const by = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) =>
          m[1]!.split(',').map((l) => l.trim()),
        );
        const filters = [...expr.matchAll(/([a-z_]+)=~?"/g)].map((m) => m[1]!);
        for (const metric of metrics) {
          used.add(metric);
          const labels = ingestedLabels(metric);
          expect(labels, `${panel.title}: ${metric} is not a Roost metric`).toBeDefined();
          for (const l of [...by, ...filters]) {
            expect(labels, `${panel.title}: ${metric} has no label ${l}`).toContain(l);
          }
        }
      }
    }
    // The job and pool panels query what the worker now exports.
    for (const metric of [
      'roost_queue_jobs',
      'roost_jobs_processed_total',
      'roost_job_duration_seconds_bucket',
      'roost_db_pool_connections',
      'roost_db_pool_max_connections',
    ]) {
      expect(used).toContain(metric);
    }
  });

  it('would catch a metric or label that does not exist', () => {
    expect(ingestedLabels('roost_no_such_metric_total')).toBeUndefined();
    expect(ingestedLabels('roost_jobs_processed_total')).not.toContain('job_id');
    expect(ingestedLabels('roost_jobs_processed_total')).toEqual(
      expect.arrayContaining(['job_name', 'outcome', 'job', 'instance']),
    );
  });
});

describe('Prometheus and docker-compose.yml', () => {
  it('scrape the worker on the port it listens on by default, set and exposed on the worker service', () => {
    const port = (ConfigSchema.properties.WORKER_METRICS_PORT as { default?: number }).default;
    expect(port).toBe(9465);
    const prometheus = read('ops/prometheus/prometheus.yml');
    expect(prometheus).toMatch(/job_name: roost-api[\s\S]*targets: \['api:3000'\]/);
    const worker = /job_name: roost-worker\n([\s\S]*?)(?=\n {2}- job_name:|$)/.exec(prometheus)?.[1];
    expect(worker).toBeDefined();
    expect(worker).toMatch(/names: \['worker'\]/);
    expect(worker).toContain(`port: ${port}`);
    expect(worker).toContain('metric_relabel_configs: *job-name');

    const compose = read('docker-compose.yml');
    const service = /\n {2}worker:\n([\s\S]*?)(?=\n {2}[a-z-]+:\n)/.exec(compose)?.[1];
    expect(service).toBeDefined();
    expect(service).toContain(`WORKER_METRICS_PORT: "${port}"`);
    expect(service).toContain(`expose: ["${port}"]`);
    expect(compose).toMatch(/prometheus:[\s\S]*depends_on: \[api, worker\]/);
  });
});
