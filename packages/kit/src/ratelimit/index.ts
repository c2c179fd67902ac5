export { createSlidingWindowLimiter, type SlidingWindowOptions } from './sliding-window.ts';
export { createTokenBucketLimiter, type TokenBucketOptions } from './token-bucket.ts';
export { rateLimitHook, defaultRateLimitKey, setRateLimitHeaders, type RateLimitHookOptions } from './fastify.ts';
export type { RateLimiter, RateLimitResult } from './limiter.ts';
