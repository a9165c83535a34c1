import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * The messages between the main thread and the text worker (text-preparation.ts, text-worker.ts).
 * Each side checks what it receives against these: a message is bytes from another thread.
 */

const Bytes = Type.Refine(Type.Unsafe<Uint8Array>({}), (value) => value instanceof Uint8Array, () => 'must be a Uint8Array');
const Id = Type.Integer({ minimum: 1 });
const Output = Type.Integer({ minimum: 0 });

export const RenderJob = Type.Object(
  { kind: Type.Union([Type.Literal('json'), Type.Literal('csv')]), columns: Type.Array(Type.String()) },
  { additionalProperties: false },
);
export type RenderJob = Static<typeof RenderJob>;

export const ToTextWorker = Type.Union([
  Type.Object({
    type: Type.Literal('start'),
    id: Id,
    level: Type.Integer({ minimum: 0, maximum: 9 }),
    windowBits: Type.Integer({ minimum: 9, maximum: 15 }),
    jobs: Type.Array(RenderJob),
  }),
  Type.Object({ type: Type.Literal('chunk'), id: Id, chunk: Bytes }),
  Type.Object({ type: Type.Literal('end'), id: Id }),
]);
export type ToTextWorker = Static<typeof ToTextWorker>;

export const FromTextWorker = Type.Union([
  Type.Object({ type: Type.Literal('ack'), id: Id }),
  Type.Object({ type: Type.Literal('data'), id: Id, output: Output, chunk: Bytes }),
  Type.Object({
    type: Type.Literal('done'),
    id: Id,
    output: Output,
    size: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    crc32: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
  }),
  Type.Object({ type: Type.Literal('error'), id: Id, message: Type.String() }),
]);
export type FromTextWorker = Static<typeof FromTextWorker>;

export const checkToTextWorker = Compile(ToTextWorker);
export const checkFromTextWorker = Compile(FromTextWorker);
