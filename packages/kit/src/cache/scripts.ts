import { fileURLToPath } from 'node:url';
import { loadLuaScript, type LuaScript } from '../redis/script.ts';

const luaFile = (name: string): string => fileURLToPath(new URL(`./lua/${name}`, import.meta.url));

export const readOrLockScript: LuaScript = loadLuaScript(luaFile('readOrLock-2.lua'));
export const storeIfLockedScript: LuaScript = loadLuaScript(luaFile('storeIfLocked-2.lua'));
export const releaseLockScript: LuaScript = loadLuaScript(luaFile('releaseLock-1.lua'));

/** readOrLock's reply as RESP2 delivers it. */
export type ReadOrLockReply = [state: 'fresh' | 'stale' | 'absent', locked: number, payload: string | null];
