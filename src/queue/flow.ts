import { FlowProducer, Queue, type ConnectionOptions, type FlowJob } from 'bullmq';

/**
 * One BullMQ flow per request: a child job per feature task and a parent job that assembles
 * the result once every child has ended. Jobs carry ids only; Postgres holds everything else.
 * All queues of the flow share one hash-tagged prefix so they land on one Redis Cluster slot.
 */

export const FEATURE_QUEUE = 'feature-tasks';
/**
 * The feature tasks of a tenant with requests waiting for admission (a flood), worked at
 * BACKLOG_CONCURRENCY beside FEATURE_QUEUE: so few of them run at once that another tenant's tasks,
 * which start at once in FEATURE_QUEUE, share the worker's thread with only that many.
 */
export const BACKLOG_QUEUE = 'feature-tasks-backlog';
export const ASSEMBLY_QUEUE = 'assembly';
/** A request just written waits here as one job; the worker running it adds the request's flow (the API's hand-over stays one job). */
export const PLAN_QUEUE = 'request-plans';
/** The queues of the request flow (what operators see). */
export const FLOW_QUEUES = [PLAN_QUEUE, FEATURE_QUEUE, BACKLOG_QUEUE, ASSEMBLY_QUEUE] as const;
const FEATURE_LANES = [FEATURE_QUEUE, BACKLOG_QUEUE] as const;
type FeatureLane = (typeof FEATURE_LANES)[number];

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

const finished = (state: string) => state === 'completed' || state === 'failed';

/** Removes the job from the queue if it has run; whether the queue still holds it (waiting, running or delayed). */
async function pendingAfterRemovingFinished(queue: Queue, jobId: string): Promise<boolean> {
  const state = await queue.getJobState(jobId);
  if (finished(state)) await queue.remove(jobId);
  return state !== 'unknown' && !finished(state);
}

export interface EnqueueOptions {
  /** BullMQ's priority of its jobs (lower runs first; none runs before all). */
  priority?: number;
  /** Its tenant has requests waiting for admission: its feature jobs go to BACKLOG_QUEUE. */
  backlogged?: boolean;
}

/** A plan job still to run (or running): its request's flow is not in Redis yet, and not lost. */
const PLAN_PENDING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export class RequestFlow {
  private producer?: FlowProducer;
  private plans?: Queue<PlanJobData>;
  private queues?: { assembly: Queue; lanes: Record<FeatureLane, Queue> };

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
    const held = await this.replaceFinished(requestId, features);
    // A child keeps its lane: where its pending assembly waits for it (a lost one is added back under
    // the key the assembly counts on), else where Redis still holds its job (added to the other, it would run twice).
    for (const { feature, lane } of await this.childrenAwaited(requestId)) held.set(feature, lane);
    const lane = options.backlogged ? BACKLOG_QUEUE : FEATURE_QUEUE;
    const children = features.map((feature) => ({ feature, lane: held.get(feature) ?? lane }));
    await this.producerOf().add(this.flowOf(requestId, children, options.priority));
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
    await this.producerOf().addBulk(
      flows.map(({ requestId, features }) => this.flowOf(requestId, features.map((feature) => ({ feature, lane: FEATURE_QUEUE })))),
    );
  }

  private producerOf(): FlowProducer {
    this.producer ??= quiet(new FlowProducer({ connection: this.connection, prefix: this.options.prefix }));
    return this.producer;
  }

  private flowOf(requestId: string, children: ReadonlyArray<{ feature: string; lane: FeatureLane }>, priority?: number): FlowJob {
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
      children: children.map(({ feature, lane }) => ({
        name: 'feature',
        queueName: lane,
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

  /**
   * Removes the jobs of the request's flow that have run, once its assembly is not running (see
   * enqueue); the lane of each feature job Redis still holds.
   */
  private async replaceFinished(requestId: string, features: readonly string[]): Promise<Map<string, FeatureLane>> {
    const queues = this.queuesOf();
    const state = await this.settledState(queues.assembly, assemblyJobId(requestId));
    if (finished(state)) await queues.assembly.remove(assemblyJobId(requestId));
    const held = new Map<string, FeatureLane>();
    await Promise.all(
      features.flatMap((feature) =>
        FEATURE_LANES.map(async (lane) => {
          if (await pendingAfterRemovingFinished(queues.lanes[lane], featureJobId(requestId, feature))) held.set(feature, lane);
        }),
      ),
    );
    return held;
  }

  /** Assembles a request again after its manual tasks were completed or its result released (the first assembly has run). */
  async enqueueAssembly(requestId: string): Promise<void> {
    await this.enqueue(requestId, []);
  }

  /** What Redis holds of the request's flow. */
  async inspect(requestId: string): Promise<FlowInRedis> {
    const queues = this.queuesOf();
    const state = await queues.assembly.getJobState(assemblyJobId(requestId));
    if (state === 'unknown') return { assembly: 'missing', lostChildren: [] };
    if (finished(state)) return { assembly: 'finished', lostChildren: [] };
    const lostChildren: string[] = [];
    for (const { feature, lane } of await this.childrenAwaited(requestId)) {
      if ((await queues.lanes[lane].getJobState(featureJobId(requestId, feature))) === 'unknown') lostChildren.push(feature);
    }
    return { assembly: 'pending', lostChildren };
  }

  /** The feature jobs the request's assembly waits for (none once it has run or is gone), and their lanes. */
  private async childrenAwaited(requestId: string): Promise<Array<{ feature: string; lane: FeatureLane }>> {
    const queues = this.queuesOf();
    const client = await queues.assembly.client;
    const childId = featureJobId(requestId, '');
    const children: Array<{ feature: string; lane: FeatureLane }> = [];
    for (const key of await client.smembers(queues.assembly.toKey(`${assemblyJobId(requestId)}:dependencies`))) {
      for (const lane of FEATURE_LANES) {
        const prefix = queues.lanes[lane].toKey(childId);
        if (key.startsWith(prefix)) children.push({ feature: key.slice(prefix.length), lane });
      }
    }
    return children;
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

  private queuesOf(): { assembly: Queue; lanes: Record<FeatureLane, Queue> } {
    const options = { connection: this.connection, prefix: this.options.prefix };
    const queue = (name: string) => quiet(new Queue(name, options));
    this.queues ??= { assembly: queue(ASSEMBLY_QUEUE), lanes: { [FEATURE_QUEUE]: queue(FEATURE_QUEUE), [BACKLOG_QUEUE]: queue(BACKLOG_QUEUE) } };
    return this.queues;
  }

  async close(): Promise<void> {
    await this.plans?.close();
    await this.queues?.assembly.close();
    await Promise.all(Object.values(this.queues?.lanes ?? {}).map((lane) => lane.close()));
    await this.producer?.close();
  }
}

/**
 * BullMQ re-emits the errors of the connection it was given, and an 'error' event nobody listens to
 * throws. The connection reports its outages itself (redis.ts); a failed command fails its caller.
 */
export function quiet<T extends { on(event: 'error', listener: (err: Error) => void): unknown }>(emitter: T): T {
  emitter.on('error', () => {});
  return emitter;
}
