import { FlowProducer, Queue, type ConnectionOptions, type FlowJob } from 'bullmq';

/**
 * One BullMQ flow per request: a child job per feature task and a parent job that assembles
 * the result once every child has ended. Jobs carry ids only; Postgres holds everything else.
 * All queues of the flow share one hash-tagged prefix so they land on one Redis Cluster slot.
 */

export const FEATURE_QUEUE = 'feature-tasks';
export const ASSEMBLY_QUEUE = 'assembly';
/** A request just written waits here as one job; the worker running it adds the request's flow (the API's hand-over stays one job). */
export const PLAN_QUEUE = 'request-plans';

export interface FeatureJobData {
  requestId: string;
  feature: string;
}
export interface AssemblyJobData {
  requestId: string;
}
export interface PlanJobData {
  requestId: string;
}

const SETTLE_MS = 5_000;
const SETTLE_POLL_MS = 50;

export interface FlowOptions {
  prefix: string;
  attempts: number;
  backoffMs: number;
}

/** Job ids derive from the request and the feature: adding a job twice adds it once. */
export const assemblyJobId = (requestId: string) => `request-${requestId}`;
export const featureJobId = (requestId: string, feature: string) => `task-${requestId}-${feature}`;
export const planJobId = (requestId: string) => `plan-${requestId}`;

/**
 * What Redis holds of a request's flow: whether its assembly is still to run (`pending`: waiting
 * for its children, queued or running), has run (`finished`) or is gone (`missing`); and the
 * features whose job the assembly waits for but Redis no longer holds.
 */
export interface FlowInRedis {
  assembly: 'pending' | 'finished' | 'missing';
  lostChildren: string[];
}

async function removeIfFinished(queue: Queue, jobId: string): Promise<void> {
  const state = await queue.getJobState(jobId);
  if (state === 'completed' || state === 'failed') await queue.remove(jobId);
}

export interface EnqueueOptions {
  /** BullMQ's priority of its jobs (lower runs first; none runs before all). */
  priority?: number;
}

/** A plan job still to run (or running): its request's flow is not in Redis yet, and not lost. */
const PLAN_PENDING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export class RequestFlow {
  private producer?: FlowProducer;
  private plans?: Queue<PlanJobData>;
  private queues?: { assembly: Queue; features: Queue };

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly options: FlowOptions,
  ) {}

  /**
   * Adds what Redis does not hold of the request's flow: the assembly and a child per feature given.
   * Idempotent: jobs that exist are kept (and linked to the assembly), so re-enqueueing adds nothing
   * twice. An assembly that has run is replaced: the request, still open, needs assembling again; and
   * so is a feature job that has run (a retried task, whose failed job Redis may keep longer than its
   * assembly): linked to the new assembly as it is, it would never run, and the assembly never start.
   */
  async enqueue(requestId: string, features: readonly string[], options: EnqueueOptions = {}): Promise<void> {
    await this.replaceFinished(requestId, features);
    await this.producerOf().add(this.flowOf(requestId, features, options.priority));
  }

  /**
   * Requests just written, a job each in one call to Redis: the worker adds each one's flow (enqueueFresh),
   * so the API's hand-over costs one job a request, not one a feature. A completed plan job is removed:
   * the reconciler reads a missing one, as a completed one, as "the flow should be in Redis".
   */
  async plan(requestIds: readonly string[]): Promise<void> {
    const opts = { attempts: this.options.attempts, backoff: { type: 'exponential', delay: this.options.backoffMs }, removeOnComplete: true, removeOnFail: 5000 };
    await this.plansOf().addBulk(requestIds.map((requestId) => ({ name: 'plan', data: { requestId }, opts: { jobId: planJobId(requestId), ...opts } })));
  }

  /** Whether the request's plan job is still to run or running (its flow is on its way). */
  async planPending(requestId: string): Promise<boolean> {
    return PLAN_PENDING.has(await this.plansOf().getJobState(planJobId(requestId)));
  }

  private plansOf(): Queue<PlanJobData> {
    this.plans ??= quiet(new Queue<PlanJobData>(PLAN_QUEUE, { connection: this.connection, prefix: this.options.prefix }));
    return this.plans;
  }

  /**
   * The flows of requests not yet started (their plan jobs run), in one call to Redis. Their ids are new
   * to Redis, or their jobs are this same flow (a plan job run again after its worker died): adding them
   * again adds nothing, so there is nothing to wait for or replace.
   */
  async enqueueFresh(flows: ReadonlyArray<{ requestId: string; features: readonly string[] }>): Promise<void> {
    await this.producerOf().addBulk(flows.map(({ requestId, features }) => this.flowOf(requestId, features)));
  }

  private producerOf(): FlowProducer {
    this.producer ??= quiet(new FlowProducer({ connection: this.connection, prefix: this.options.prefix }));
    return this.producer;
  }

  private flowOf(requestId: string, features: readonly string[], priority?: number): FlowJob {
    const retry = {
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs },
      ...(priority ? { priority } : {}),
    };
    return {
      name: 'assemble',
      queueName: ASSEMBLY_QUEUE,
      data: { requestId } satisfies AssemblyJobData,
      opts: { jobId: assemblyJobId(requestId), ...retry, removeOnComplete: 1000, removeOnFail: 5000 },
      children: features.map((feature) => ({
        name: 'feature',
        queueName: FEATURE_QUEUE,
        data: { requestId, feature } satisfies FeatureJobData,
        opts: {
          jobId: featureJobId(requestId, feature),
          ...retry,
          // A feature that still fails after its retries must not leave the parent waiting forever:
          // the parent assembles what there is and the task records the failure.
          ignoreDependencyOnFailure: true,
          removeOnComplete: 1000,
          removeOnFail: 5000,
        },
      })),
    };
  }

  /** Removes the jobs of the request's flow that have run, once its assembly is not running (see enqueue). */
  private async replaceFinished(requestId: string, features: readonly string[]): Promise<void> {
    const queues = this.queuesOf();
    const state = await this.settledState(queues.assembly, assemblyJobId(requestId));
    if (state === 'completed' || state === 'failed') await queues.assembly.remove(assemblyJobId(requestId));
    await Promise.all(features.map((feature) => removeIfFinished(queues.features, featureJobId(requestId, feature))));
  }

  /** Assembles a request again after its manual tasks were completed or its result released (the first assembly has run). */
  async enqueueAssembly(requestId: string): Promise<void> {
    await this.enqueue(requestId, []);
  }

  /** What Redis holds of the request's flow. */
  async inspect(requestId: string): Promise<FlowInRedis> {
    const queues = this.queuesOf();
    const id = assemblyJobId(requestId);
    const state = await queues.assembly.getJobState(id);
    if (state === 'unknown') return { assembly: 'missing', lostChildren: [] };
    if (state === 'completed' || state === 'failed') return { assembly: 'finished', lostChildren: [] };
    const client = await queues.assembly.client;
    const jobKey = queues.features.toKey('');
    const childId = featureJobId(requestId, '');
    const lostChildren: string[] = [];
    for (const key of await client.smembers(queues.assembly.toKey(`${id}:dependencies`))) {
      const jobId = key.slice(jobKey.length);
      if (key.startsWith(jobKey + childId) && (await queues.features.getJobState(jobId)) === 'unknown') {
        lostChildren.push(jobId.slice(childId.length));
      }
    }
    return { assembly: 'pending', lostChildren };
  }

  /**
   * The assembly's state once it is not running. A request is assembled again right after its
   * last assembly returned (an agent answered the last manual task, or released the result):
   * for a moment BullMQ still has that job active, and adding its id again would add nothing.
   */
  private async settledState(assembly: Queue, id: string) {
    let state = await assembly.getJobState(id);
    for (let waited = 0; state === 'active' && waited < SETTLE_MS; waited += SETTLE_POLL_MS) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
      state = await assembly.getJobState(id);
    }
    return state;
  }

  private queuesOf(): { assembly: Queue; features: Queue } {
    const options = { connection: this.connection, prefix: this.options.prefix };
    this.queues ??= { assembly: quiet(new Queue(ASSEMBLY_QUEUE, options)), features: quiet(new Queue(FEATURE_QUEUE, options)) };
    return this.queues;
  }

  async close(): Promise<void> {
    await this.plans?.close();
    await this.queues?.assembly.close();
    await this.queues?.features.close();
    await this.producer?.close();
  }
}

/**
 * BullMQ re-emits the errors of the connection it was given, and an 'error' event nobody listens to
 * throws. The connection reports its outages itself (redis.ts); a failed command fails its caller.
 */
function quiet<T extends { on(event: 'error', listener: (err: Error) => void): unknown }>(emitter: T): T {
  emitter.on('error', () => {});
  return emitter;
}
