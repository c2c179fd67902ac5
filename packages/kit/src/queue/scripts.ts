import { fileURLToPath } from 'node:url';
import { loadLuaScript, type LuaScript } from '../redis/script.ts';

const load = (file: string): LuaScript => loadLuaScript(fileURLToPath(new URL(`./lua/${file}`, import.meta.url)));

/** The queue's Lua scripts; each file's header lists its KEYS, ARGV and reply. */
export const queueScripts = {
  push: load('push-3.lua'),
  complete: load('complete-5.lua'),
  retry: load('retry-3.lua'),
  bury: load('bury-4.lua'),
  take: load('take-5.lua'),
  recover: load('recover-4.lua'),
  register: load('register-4.lua'),
  replayDead: load('replayDead-4.lua'),
} as const;
