import type { RedisClient } from '../redis/client.ts';
import { replyEntries, replyRecord } from '../redis/replies.ts';
import { decodeEnvelope, type Envelope } from '../streams/envelope.ts';

export interface StreamEvent {
  /** The entry's stream id. */
  id: string;
  envelope: Envelope;
}

/**
 * Every entry of a stream, oldest first, decoded as an envelope: what a test
 * reads to check what a service published. Throws on an entry that is not an
 * envelope (naming the stream and entry), since a test must not pass over one.
 */
export async function readStreamEvents(redis: RedisClient, stream: string): Promise<StreamEvent[]> {
  return replyEntries(await redis.sendCommand(['XRANGE', stream, '-', '+'])).map(([id, flat]) => {
    const decoded = decodeEnvelope(replyRecord(flat));
    if (!decoded.ok) throw new Error(`${stream} ${id} is not an envelope: ${decoded.reason}`);
    return { id, envelope: decoded.envelope };
  });
}

/** The envelopes of every entry of a stream, oldest first (`readStreamEvents` without the ids). */
export async function readEnvelopes(redis: RedisClient, stream: string): Promise<Envelope[]> {
  return (await readStreamEvents(redis, stream)).map((event) => event.envelope);
}
