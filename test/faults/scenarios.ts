import type postgres from 'postgres';
import type { Redis } from 'ioredis';
import { describeWork, inProgress, load, stillUnfinished, workLabel, type InProgress, type Phase } from './observe.js';
import type { ServiceProcess } from './processes.js';
import { sleep, type PrivateServices } from './services.js';

/**
 * The faults, each struck at its moment on real processes while the snapshot's requests are answered.
 * A worker killed by the suite is started again at once, as a supervisor would; one that exits by
 * itself (Postgres or Redis gone) is not: the worker is expected to wait for them and resume.
 */

export interface Scene {
  sql: postgres.Sql;
  /** The suite's own connection, to read the workers' claims. */
  redis: Redis;
  services: PrivateServices;
  worker(): ServiceProcess;
  /** SIGKILL the worker and start another. */
  killWorker(): Promise<void>;
  /** What the fault hit, for the table. */
  note(text: string): void;
  kills: number;
}

export interface Scenario {
  name: string;
  fault?: (scene: Scene) => Promise<void>;
}

const REDIS_DOWN_MS = 30_000;
const POSTGRES_DOWN_MS = 5_000;
const FIND_WITHIN_MS = 120_000;

/** Polls until `find` returns something (errors, e.g. while a service restarts, count as nothing yet). */
async function waitFor<T>(find: () => Promise<T | undefined>, withinMs = FIND_WITHIN_MS): Promise<T | undefined> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const found = await find().catch(() => undefined);
    if (found !== undefined) return found;
    await sleep(2);
  }
  return undefined;
}

/** Kills the worker `scene.kills` times while it does work of this phase; a kill that came too late does not count. */
async function killDuring(scene: Scene, phase: Phase): Promise<void> {
  const struck = new Set<string>();
  let kills = 0;
  for (let tries = 0; kills < scene.kills && tries < 10; tries++) {
    const work = await waitFor(async () => {
      const found = await inProgress(scene.sql, scene.redis, phase, struck);
      return found.length > 0 ? found : undefined;
    });
    if (!work) {
      scene.note(`no ${phase} seen to strike`);
      return;
    }
    await scene.killWorker();
    const interrupted: InProgress[] = [];
    for (const w of work) {
      struck.add(workLabel(w));
      if (await stillUnfinished(scene.sql, w)) interrupted.push(w);
    }
    if (interrupted.length > 0) scene.note(`SIGKILL ${++kills}: ${describeWork(interrupted)} cut`);
  }
}

/** Waits until requests are both queued and running. */
async function busy(scene: Scene): Promise<string> {
  const state = await waitFor(async () => {
    const now = await load(scene.sql);
    return now.queued > 0 && now.running > 0 ? now : undefined;
  });
  return state ? `${state.queued} queued, ${state.running} tasks running` : 'not seen busy';
}

export const SCENARIOS: Scenario[] = [
  { name: 'uninterrupted (reference)' },
  { name: 'uninterrupted again' },
  { name: 'worker SIGKILL mid-collect', fault: (scene) => killDuring(scene, 'collect') },
  { name: 'worker SIGKILL mid-assembly', fault: (scene) => killDuring(scene, 'assembly') },
  { name: 'worker SIGKILL mid-erasure', fault: (scene) => killDuring(scene, 'erasure') },
  {
    name: 'Redis FLUSHALL',
    fault: async (scene) => {
      const state = await busy(scene);
      await scene.services.flushRedis();
      scene.note(`FLUSHALL with ${state}`);
    },
  },
  {
    name: 'Postgres restart',
    fault: async (scene) => {
      const state = await busy(scene);
      await scene.services.stopPostgres();
      await sleep(POSTGRES_DOWN_MS);
      await scene.services.startPostgres();
      scene.note(`stopped ${POSTGRES_DOWN_MS / 1000} s with ${state}`);
    },
  },
  {
    name: 'Redis killed 30 s',
    fault: async (scene) => {
      const state = await busy(scene);
      await scene.services.killRedis();
      await sleep(REDIS_DOWN_MS);
      await scene.services.startRedis();
      scene.note(`SIGKILL, down ${REDIS_DOWN_MS / 1000} s with ${state}`);
    },
  },
];
