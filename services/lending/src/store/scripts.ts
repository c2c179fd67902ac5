import { fileURLToPath } from 'node:url';
import { loadLuaScript, type LuaScript } from 'tributary';

const luaFile = (name: string): string => fileURLToPath(new URL(`./lua/${name}`, import.meta.url));

export const submitRequestScript: LuaScript = loadLuaScript(luaFile('submitRequest-2.lua'));
export const takeLoanScript: LuaScript = loadLuaScript(luaFile('takeLoan-4.lua'));
export const lendReservedScript: LuaScript = loadLuaScript(luaFile('lendReserved-3.lua'));
export const undoReservationsScript: LuaScript = loadLuaScript(luaFile('undoReservations-3.lua'));
export const giveBackScript: LuaScript = loadLuaScript(luaFile('giveBack-4.lua'));
export const shelveReturnedScript: LuaScript = loadLuaScript(luaFile('shelveReturned-3.lua'));
export const recordOutcomeScript: LuaScript = loadLuaScript(luaFile('recordOutcome-2.lua'));
