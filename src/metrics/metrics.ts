import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { FEATURE_IDS } from '../catalogue/schema.js';
import type { AssemblyJobData, FeatureJobData } from '../queue/flow.js';

/**
 * The process's Prometheus metrics, one registry per process (a registry of its own, not
 * prom-client's global one: tests run many systems in one process).
 *
 * What happens in this process is counted as it happens: HTTP latency by route, and, where the
 * worker runs, the duration of every job attempt and the retries. Each process serves its own
 * (the API at /metrics, a worker of its own on WORKER_METRICS_PORT) and Prometheus adds them up.
 * The state of the work is read when scraped, by the API only (`watchWork`): requests per type and
 * status and the overdue ones from Postgres, the queues' depth from BullMQ.
 */

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** A task takes milliseconds (nothing held) to many minutes (an export of a million messages). */
const TASK_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Scrapes of several Prometheus servers, or a dashboard's burst, within this share one query. */

const KNOWN_FEATURES: ReadonlySet<string> = new Set(FEATURE_IDS);
/** Job data comes back from Redis: a label takes only a catalogue feature, never whatever is there. */
const featureLabel = (feature: unknown) => (typeof feature === 'string' && KNOWN_FEATURES.has(feature) ? feature : 'unknown');

export interface RequestCount {
  type: string;
  status: string;
  n: number;
  /** Of these, past their deadline and still running. */
  overdue: number;
}

/** Where the state of the work is read at scrape time. */
export interface WorkSource {
  requestCounts(): Promise<RequestCount[]>;
  /** Jobs per state (BullMQ's getJobCounts) of each queue. */
  queueCounts(): Promise<Array<{ queue: string; counts: Record<string, number> }>>;
}

export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'dsar_http_request_duration_seconds',
    help: 'HTTP requests by route template (never the URL), method and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  private readonly taskDuration = new Histogram({
    name: 'dsar_task_duration_seconds',
    help: 'Attempts of feature tasks by feature and outcome (its _count: the attempts)',
    labelNames: ['feature', 'outcome'] as const,
    buckets: TASK_BUCKETS,
    registers: [this.registry],
  });

  private readonly taskRetries = new Counter({
    name: 'dsar_task_retries_total',
    help: 'Failed attempts of feature tasks that BullMQ retries',
    labelNames: ['feature'] as const,
    registers: [this.registry],
  });

  private readonly assemblyDuration = new Histogram({
    name: 'dsar_assembly_duration_seconds',
    help: 'Attempts of assembling a result, by outcome',
    labelNames: ['outcome'] as const,
    buckets: TASK_BUCKETS,
    registers: [this.registry],
  });

  private watching = false;

  constructor(private readonly log: Logger) {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Times every attempt of the feature worker's jobs, from BullMQ's start of the attempt. */
  observeFeatureJobs(worker: Worker<FeatureJobData>): void {
    worker.on('completed', (job) => this.observe(this.taskDuration, { feature: featureLabel(job.data.feature), outcome: 'completed' }, job));
    worker.on('failed', (job) => {
      if (!job) return;
      const feature = featureLabel(job.data.feature);
      this.observe(this.taskDuration, { feature, outcome: 'failed' }, job);
      // attemptsMade counts this attempt already: fewer than allowed means BullMQ runs it again.
      if (job.attemptsMade < (job.opts.attempts ?? 1)) this.taskRetries.inc({ feature });
    });
  }

  observeAssemblyJobs(worker: Worker<AssemblyJobData>): void {
    worker.on('completed', (job) => this.observe(this.assemblyDuration, { outcome: 'completed' }, job));
    worker.on('failed', (job) => job && this.observe(this.assemblyDuration, { outcome: 'failed' }, job));
  }

  private observe<L extends string>(histogram: Histogram<L>, labels: Partial<Record<L, string>>, job: Job): void {
    if (job.processedOn) histogram.observe(labels, Math.max(0, Date.now() - job.processedOn) / 1000);
  }

  /**
   * Gauges of the work, read from `source` when scraped (once per process: the API's). A source
   * that fails leaves its gauges empty and says so in dsar_metrics_source_up, so the rest of the
   * scrape still answers while Postgres or Redis is down.
   */
  watchWork(source: WorkSource): void {
    if (this.watching) return;
    this.watching = true;
    const sourceUp = new Gauge({
      name: 'dsar_metrics_source_up',
      help: 'Whether this scrape could read the source (postgres, redis) of the gauges of the work',
      labelNames: ['source'] as const,
      registers: [this.registry],
      // The reads set it; gauges are collected in parallel, so this one waits for them (shared: no second query).
      collect: () => Promise.all([requestCounts(), queueCounts()]).then(() => {}),
    });
    const read = <T>(name: string, load: () => Promise<T>) => {
      const cached = shared(load);
      return async (): Promise<T | undefined> => {
        try {
          const value = await cached();
          sourceUp.set({ source: name }, 1);
          return value;
        } catch (err) {
          sourceUp.set({ source: name }, 0);
          this.log.warn({ source: name, error: err instanceof Error ? err.name : typeof err }, 'metrics source failed');
          return undefined;
        }
      };
    };
    const requestCounts = read('postgres', () => source.requestCounts());
    const queueCounts = read('redis', () => source.queueCounts());

    new Gauge({
      name: 'dsar_requests',
      help: 'Requests of every tenant by type and status',
      labelNames: ['type', 'status'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await requestCounts();
        this.reset();
        for (const row of rows ?? []) this.set({ type: row.type, status: row.status }, row.n);
      },
    });
    new Gauge({
      name: 'dsar_requests_overdue',
      help: 'Requests past their deadline and still running, by type',
      labelNames: ['type'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await requestCounts();
        this.reset();
        if (!rows) return;
        const byType = new Map<string, number>();
        for (const row of rows) byType.set(row.type, (byType.get(row.type) ?? 0) + row.overdue);
        for (const [type, n] of byType) this.set({ type }, n);
      },
    });
    new Gauge({
      name: 'dsar_queue_jobs',
      help: 'Jobs of each BullMQ queue by state (waiting, active, delayed, failed, ...)',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        const queues = await queueCounts();
        this.reset();
        for (const { queue, counts } of queues ?? []) {
          for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
        }
      },
    });
  }
}

/**
 * One read of `load` for the gauges one scrape collects in parallel: a call while a read is in
 * flight shares it, and the next scrape reads afresh (never a stale count).
 */
function shared<T>(load: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
