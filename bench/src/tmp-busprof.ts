import { connectRedis } from 'tributary';
import { startRedisServer } from 'tributary/testing';
import { bareRun, kitRun } from './bus.ts';
const server = await startRedisServer();
const redis = await connectRedis(server.url);
const run = process.env.WHICH === 'bare' ? bareRun : kitRun;
for (let round = 0; round < 4; round++) console.log(round, JSON.stringify(await run(redis, round)));
await redis.close();
await server.stop();
