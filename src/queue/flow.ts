import { FlowProducer, Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * One BullMQ flow per request: a child job per feature task and a parent job that assembles
 * the result once every child has ended. Jobs carry ids only; Postgres holds everything else.
 * All queues of the flow share one hash-tagged prefix so they land on one Redis Cluster slot.
 */

export const FEATURE_QUEUE = 'feature-tasks';
export const ASSEMBLY_QUEUE = 'assembly';

export interface FeatureJobData {
  requestId: string;
  feature: string;
}
export interface AssemblyJobData {
  requestId: string;
}

export interface FlowOptions {
  prefix: string;
  attempts: number;
  backoffMs: number;
}

export function redisConnection(url: string): Redis {
  // BullMQ workers block on Redis; they need retries without a per-command limit.
  // Lazy: nothing connects until the first command, so `dsar openapi` needs no Redis.
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: true });
}

export class RequestFlow {
  private producer?: FlowProducer;
  private assembly?: Queue;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly options: FlowOptions,
  ) {}

  /** Idempotent: job ids derive from the request id, so re-enqueueing a request adds nothing twice. */
  async enqueue(requestId: string, features: readonly string[]): Promise<void> {
    const retry = { attempts: this.options.attempts, backoff: { type: 'exponential', delay: this.options.backoffMs } };
    this.producer ??= new FlowProducer({ connection: this.connection, prefix: this.options.prefix });
    await this.producer.add({
      name: 'assemble',
      queueName: ASSEMBLY_QUEUE,
      data: { requestId } satisfies AssemblyJobData,
      opts: { jobId: `request-${requestId}`, ...retry, removeOnComplete: 1000, removeOnFail: 5000 },
      children: features.map((feature) => ({
        name: 'feature',
        queueName: FEATURE_QUEUE,
        data: { requestId, feature } satisfies FeatureJobData,
        opts: {
          jobId: `task-${requestId}-${feature}`,
          ...retry,
          // A feature that still fails after its retries must not leave the parent waiting forever:
          // the parent assembles what there is and the task records the failure.
          ignoreDependencyOnFailure: true,
          removeOnComplete: 1000,
          removeOnFail: 5000,
        },
      })),
    });
  }

  /** Assembles a request again after its manual tasks were completed (the flow's parent has ended). */
  async enqueueAssembly(requestId: string): Promise<void> {
    this.assembly ??= new Queue(ASSEMBLY_QUEUE, { connection: this.connection, prefix: this.options.prefix });
    await this.assembly.add('assemble', { requestId } satisfies AssemblyJobData, {
      jobId: `request-${requestId}-resume-${Date.now()}`,
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
  }

  async close(): Promise<void> {
    await this.assembly?.close();
    await this.producer?.close();
  }
}
