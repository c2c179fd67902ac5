import { fileURLToPath } from 'node:url';
import { loadLuaScript, type LuaScript } from 'tributary';

const luaFile = (name: string): string => fileURLToPath(new URL(`./lua/${name}`, import.meta.url));

export const createDeliveryScript: LuaScript = loadLuaScript(luaFile('createDelivery-2.lua'));
export const applyReadingScript: LuaScript = loadLuaScript(luaFile('applyReading-1.lua'));
export const failSilentScript: LuaScript = loadLuaScript(luaFile('failSilent-1.lua'));
export const expireDeliveryScript: LuaScript = loadLuaScript(luaFile('expireDelivery-1.lua'));
export const syncFleetScript: LuaScript = loadLuaScript(luaFile('syncFleet-4.lua'));
export const claimDueScript: LuaScript = loadLuaScript(luaFile('claimDue-1.lua'));
export const markSentScript: LuaScript = loadLuaScript(luaFile('markSent-1.lua'));
