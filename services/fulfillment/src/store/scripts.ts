import { fileURLToPath } from 'node:url';
import { loadLuaScript, type LuaScript } from 'tributary';

const luaFile = (name: string): string => fileURLToPath(new URL(`./lua/${name}`, import.meta.url));

export const createProductScript: LuaScript = loadLuaScript(luaFile('createProduct-2.lua'));
export const shipOneProductScript: LuaScript = loadLuaScript(luaFile('shipOneProduct-2.lua'));
export const holdStockScript: LuaScript = loadLuaScript(luaFile('holdStock-2.lua'));
export const releaseStockScript: LuaScript = loadLuaScript(luaFile('releaseStock-2.lua'));
