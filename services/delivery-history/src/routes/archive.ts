import type { HttpApp } from 'tributary/http';
import type { Archiver } from '../archiver.ts';
import { ArchiveBody, ArchiveReply, ErrorBody } from './schemas.ts';

export async function archiveRoutes(app: HttpApp, deps: { archiver: Archiver }): Promise<void> {
  app.post(
    '/archive',
    {
      schema: { body: ArchiveBody, response: { 200: ArchiveReply, 400: ErrorBody } },
      // A bare `curl -X POST …/archive` means "with the configured retention", like `{}`.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const { olderThanDays } = request.body;
      return deps.archiver.archive(olderThanDays === undefined ? {} : { olderThanDays });
    },
  );
}
