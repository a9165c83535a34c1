import { actorOf } from '../auth/principal.js';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import { json, problems, rawBody, ref, withExample } from '../http/openapi.js';
import { EXAMPLES, RequestView } from '../requests/schemas.js';
import type { ManualTaskService } from './manual-task.js';
import { CompleteTaskBody, TASK_EXAMPLES, TaskParams, UploadQuery, UploadedFile } from './schemas.js';

/** Support agents answer manual tasks: supply a feature's data as files, then complete with a note. */
export async function manualTaskRoutes(scope: FastifyInstance, service: ManualTaskService, maxUploadBytes: number) {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];

  app.post(
    '/requests/:id/tasks/:feature/complete',
    {
      config: { permission: 'tasks:manual' },
      schema: {
        operationId: 'completeManualTask',
        tags: ['manual tasks'],
        summary: 'Complete a manual task: the data was supplied, the erasure or the corrections were done by hand',
        description:
          '409 task-not-waiting: the task is not in action_required. ' +
          "A correction's task answers each of the feature's changes (`changes`): corrected, with the value held before if known, " +
          'or refused with a reason the subject reads (422 when a change is missing, unknown or refused without a reason).',
        security,
        params: TaskParams,
        body: withExample(CompleteTaskBody, TASK_EXAMPLES.complete),
        response: { 200: json(ref(RequestView), 'The request, with the task completed', { example: EXAMPLES.request }), ...problems(409, 422) },
      },
    },
    async (request) => service.complete(
        request.tenantId,
        request.params.id,
        request.params.feature,
        request.body,
        actorOf(request.principal, request.ip),
      ),
  );

  // Uploads take the raw body of any media type as a stream, so their parser lives in its own scope.
  await app.register(async (uploads) => {
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    uploads.withTypeProvider<TypeBoxTypeProvider>().post(
      '/requests/:id/tasks/:feature/files',
      {
        config: { permission: 'tasks:manual' },
        bodyLimit: maxUploadBytes,
        schema: {
          operationId: 'uploadManualTaskFile',
          tags: ['manual tasks'],
          summary: "Add a file as this feature's data for an access or export request (raw body)",
          description:
            'The body is the file, sent as it is with its own Content-Type (default application/octet-stream). ' +
            '409: the task is not in action_required, or the request is a deletion. 413: the file is over MAX_UPLOAD_BYTES.',
          security,
          params: TaskParams,
          querystring: UploadQuery,
          ...rawBody("The file's bytes, of any media type (its Content-Type is kept with it)"),
          response: { 201: json(UploadedFile, 'The file, stored', { example: TASK_EXAMPLES.uploaded }), ...problems(409, 413) },
        },
      },
      async (request, reply) => {
        const mediaType = request.headers['content-type']?.split(';')[0]?.trim() || 'application/octet-stream';
        const file = await service.upload(
          request.tenantId,
          request.params.id,
          request.params.feature,
          { name: request.query.name, mediaType, body: request.body as Readable },
          actorOf(request.principal, request.ip),
        );
        return reply.code(201).send(file);
      },
    );
  });
}
