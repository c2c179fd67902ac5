export { startSystem, type RunningSystem, type SystemOptions } from './system.ts';
export { SERVICES, type ServiceName } from './services.ts';
