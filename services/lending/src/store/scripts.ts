import { fileURLToPath } from 'node:url';
import { loadLuaScript, type LuaScript } from 'tributary';

const luaFile = (name: string): string => fileURLToPath(new URL(`./lua/${name}`, import.meta.url));

export const commitLendingScript: LuaScript = loadLuaScript(luaFile('commitLending-7.lua'));
export const undoReservationsScript: LuaScript = loadLuaScript(luaFile('undoReservations-5.lua'));
export const returnBooksScript: LuaScript = loadLuaScript(luaFile('returnBooks-8.lua'));
export const submitRequestScript: LuaScript = loadLuaScript(luaFile('submitRequest-2.lua'));
