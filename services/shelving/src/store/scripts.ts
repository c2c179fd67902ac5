import { fileURLToPath } from 'node:url';
import { loadLuaScript, type LuaScript } from 'tributary';

const luaFile = (name: string): string => fileURLToPath(new URL(`./lua/${name}`, import.meta.url));

export const checkoutScript: LuaScript = loadLuaScript(luaFile('checkout-1.lua'));
export const shelveScript: LuaScript = loadLuaScript(luaFile('shelve-2.lua'));
export const releaseScript: LuaScript = loadLuaScript(luaFile('release-1.lua'));
