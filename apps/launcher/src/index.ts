export { startSystem, type RunningRegion, type RunningSystem, type SystemOptions } from './system.ts';
export { MAX_REGIONS, parseRegions, REGIONAL_SERVICES, regionalServices, REGIONS_USAGE, RegionsError } from './regions.ts';
export { writeUrlFiles, removeUrlFiles } from './url-files.ts';
export { BUS_URL_FILE, STORE_URL_FILE, SERVICES, type ServiceName } from './services.ts';
export { MAX_INSTANCES, parseScale, SCALE_USAGE, ScaleError, SINGLE_INSTANCE, singleReason, type Scale } from './scale.ts';
export { type PrivateRedis, type RedisRole } from './redis.ts';
export { ADMIN_KEY_FILE, INTERNAL_KEY_FILE, adminAuth, adminAuthBanner, readOrCreateKey, type AdminAuth } from './secrets.ts';
