import { randomUUID } from 'node:crypto';
import { UserRegistered } from '@tributary/contracts';
import type { Publisher } from 'tributary';
import { HttpError, type HttpApp } from 'tributary/http';
import type { Outbox } from 'tributary/outbox';
import type { SqlDatabase } from 'tributary/sql';
import { normalizeEmail } from '../domain/user.ts';
import { findBalance, findUser, insertUser, updateUser } from '../store/users.ts';
import { AccountReply, CreateUserBody, ErrorBody, PatchUserBody, UserParams, UserReply } from './schemas.ts';

export interface UserRoutesDeps {
  db: SqlDatabase;
  outbox: Outbox;
  publisher: Publisher;
}

const userNotFound = (id: string) => new HttpError(404, 'USER_NOT_FOUND', `no user ${id}`);
const emailTaken = () => new HttpError(409, 'EMAIL_TAKEN', 'a user with this email already exists');

export async function userRoutes(app: HttpApp, deps: UserRoutesDeps): Promise<void> {
  const { db, outbox, publisher } = deps;

  app.post(
    '/users',
    { schema: { body: CreateUserBody, response: { 201: UserReply, 409: ErrorBody } } },
    async (request, reply) => {
      const body = request.body;
      const email = normalizeEmail(body.email);
      // The user row and its UserRegistered event commit together (outbox).
      const user = await db.transaction(async (tx) => {
        const created = await insertUser(tx, { id: randomUUID(), name: body.name, email, country: body.country, balanceCents: body.balanceCents });
        if (!created) throw emailTaken();
        const event = publisher.envelope(UserRegistered, { userId: created.id, name: created.name, email: created.email, country: created.country });
        await outbox.add(tx, event);
        return created;
      });
      outbox.nudge();
      return reply.status(201).send(user);
    },
  );

  app.get('/users/:id', { schema: { params: UserParams, response: { 200: UserReply, 404: ErrorBody } } }, async (request) => {
    const user = await findUser(db, request.params.id);
    if (!user) throw userNotFound(request.params.id);
    return user;
  });

  app.patch(
    '/users/:id',
    { schema: { params: UserParams, body: PatchUserBody, response: { 200: UserReply, 404: ErrorBody, 409: ErrorBody } } },
    async (request) => {
      const { email, ...rest } = request.body;
      const result = await updateUser(db, request.params.id, { ...rest, ...(email === undefined ? {} : { email: normalizeEmail(email) }) });
      if (result === 'not-found') throw userNotFound(request.params.id);
      if (result === 'email-taken') throw emailTaken();
      return result;
    },
  );

  app.get('/users/:id/account', { schema: { params: UserParams, response: { 200: AccountReply, 404: ErrorBody } } }, async (request) => {
    const balance = await findBalance(db, request.params.id);
    if (!balance) throw userNotFound(request.params.id);
    return { userId: request.params.id, ...balance };
  });
}
