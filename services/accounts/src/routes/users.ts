import { randomUUID } from 'node:crypto';
import { UserRegistered } from '@tributary/contracts';
import type { Publisher } from 'tributary';
import type { HttpApp } from 'tributary/http';
import type { Outbox } from 'tributary/outbox';
import type { SqlDatabase } from 'tributary/sql';
import { normalizeEmail } from '../domain/user.ts';
import { updateProfile } from '../handlers/profile.ts';
import { findBalance, findUser, findUserByEmail, insertUser } from '../store/users.ts';
import { AccountReply, CreateUserBody, EmailParams, ErrorBody, PatchUserBody, UserParams, UserReply } from './schemas.ts';
import { accountsError } from '../errors.ts';

export interface UserRoutesDeps {
  db: SqlDatabase;
  outbox: Outbox;
  publisher: Publisher;
}

const userNotFound = (id: string) => accountsError('USER_NOT_FOUND', `no user ${id}`);
const emailTaken = () => accountsError('EMAIL_TAKEN', 'a user with this email already exists');

export async function userRoutes(app: HttpApp, deps: UserRoutesDeps): Promise<void> {
  const { db, outbox, publisher } = deps;

  app.post(
    '/users',
    { schema: { body: CreateUserBody, response: { 201: UserReply, 409: ErrorBody } } },
    async (request, reply) => {
      const body = request.body;
      const email = normalizeEmail(body.email);
      // The user row and its UserRegistered event commit together (outbox).
      const user = await outbox.transaction(async (tx, emit) => {
        const address = body.address ?? null;
        const created = await insertUser(tx, { id: randomUUID(), name: body.name, email, country: body.country, address, balanceCents: body.balanceCents });
        if (!created) throw emailTaken();
        const event = publisher.envelope(UserRegistered, {
          userId: created.id,
          name: created.name,
          email: created.email,
          country: created.country,
          ...(created.address === null ? {} : { address: created.address }),
        });
        emit(event);
        return created;
      });
      return reply.status(201).send(user);
    },
  );

  app.get('/users/:id', { schema: { params: UserParams, response: { 200: UserReply, 404: ErrorBody } } }, async (request) => {
    const user = await findUser(db, request.params.id);
    if (!user) throw userNotFound(request.params.id);
    return user;
  });

  // Static segment: find-my-way prefers it over '/users/:id/...', so 'by-email' is never taken for an id.
  app.get('/users/by-email/:email', { schema: { params: EmailParams, response: { 200: UserReply, 404: ErrorBody } } }, async (request) => {
    const user = await findUserByEmail(db, request.params.email);
    if (!user) throw accountsError('USER_NOT_FOUND', 'no user with this email');
    return user;
  });

  app.patch(
    '/users/:id',
    { schema: { params: UserParams, body: PatchUserBody, response: { 200: UserReply, 404: ErrorBody, 409: ErrorBody } } },
    async (request) => {
      const result = await updateProfile({ db, outbox, publisher }, request.params.id, request.body);
      if (result.kind === 'not-found') throw userNotFound(request.params.id);
      if (result.kind === 'email-taken') throw emailTaken();
      return result.user;
    },
  );

  app.get('/users/:id/account', { schema: { params: UserParams, response: { 200: AccountReply, 404: ErrorBody } } }, async (request) => {
    const balance = await findBalance(db, request.params.id);
    if (!balance) throw userNotFound(request.params.id);
    return { userId: request.params.id, ...balance };
  });
}
