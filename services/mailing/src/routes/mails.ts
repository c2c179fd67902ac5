import { Type } from 'tributary';
import type { HttpApp } from 'tributary/http';
import { Id } from '@tributary/contracts';
import { SentMail, type MailLog } from '../store/mail-log.ts';

/** GET /mails?userId=&orderId=&limit= : the mail log, newest first (internal API, proxied by the gateway). */
export function mailRoutes(deps: { mailLog: MailLog }) {
  return async (app: HttpApp): Promise<void> => {
    app.get(
      '/mails',
      {
        schema: {
          querystring: Type.Object(
            { userId: Type.Optional(Id), orderId: Type.Optional(Id), limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(SentMail) }) },
        },
      },
      async (request) => {
        const { userId, orderId, limit } = request.query;
        return { items: await deps.mailLog.list({ limit, ...(userId ? { userId } : {}), ...(orderId ? { orderId } : {}) }) };
      },
    );
  };
}
