import { Type } from 'tributary';
import { ErrorBody, type HttpApp } from 'tributary/http';
import { Id } from '@tributary/contracts';
import { LEADERBOARDS, isLeaderboard, type LeaderboardName } from '../domain/leaderboards.ts';
import type { OrderLeaderboards } from '../store/leaderboards.ts';
import { orderMonitoringError } from '../errors.ts';

const Entry = Type.Object({ member: Type.String(), score: Type.Integer({ minimum: 0 }), rank: Type.Integer({ minimum: 1 }) });
const BoardReply = Type.Object({ board: Type.String(), items: Type.Array(Entry) });
// Any string, so an unknown board is a 404 UNKNOWN_LEADERBOARD rather than a schema 400.
const BoardParam = Type.String({ minLength: 1, maxLength: 64 });

function boardOf(name: string): LeaderboardName {
  if (!isLeaderboard(name)) throw orderMonitoringError('UNKNOWN_LEADERBOARD', `no leaderboard ${name}; known: ${LEADERBOARDS.join(', ')}`);
  return name;
}

/**
 * GET /leaderboards/:board and /leaderboards/:board/members/:member (internal
 * API, proxied by the gateway). Rank is 1-based; equal scores are ordered by
 * member ascending, so the answer is the same on every call.
 */
export function leaderboardRoutes(deps: { boards: OrderLeaderboards }) {
  return async (app: HttpApp): Promise<void> => {
    app.get(
      '/leaderboards/:board',
      {
        schema: {
          params: Type.Object({ board: BoardParam }),
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }) }),
          response: { 200: BoardReply, 404: ErrorBody },
        },
      },
      async (request) => {
        const board = boardOf(request.params.board);
        return { board, items: await deps.boards[board].top(request.query.limit) };
      },
    );

    app.get(
      '/leaderboards/:board/members/:member',
      {
        schema: {
          params: Type.Object({ board: BoardParam, member: Id }),
          response: { 200: Entry, 404: ErrorBody },
        },
      },
      async (request) => {
        const board = boardOf(request.params.board);
        const entry = await deps.boards[board].rankOf(request.params.member);
        if (!entry) throw orderMonitoringError('NOT_RANKED', `${request.params.member} has no score on ${board}`);
        return entry;
      },
    );
  };
}
