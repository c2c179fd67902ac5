import { fileURLToPath } from 'node:url';
import { loadLuaScript, type LuaScript } from 'tributary';

const luaFile = (name: string): string => fileURLToPath(new URL(`./lua/${name}`, import.meta.url));

export const setItemScript: LuaScript = loadLuaScript(luaFile('setItem-2.lua'));
export const checkoutScript: LuaScript = loadLuaScript(luaFile('checkout-2.lua'));
export const completeCheckoutScript: LuaScript = loadLuaScript(luaFile('completeCheckout-2.lua'));
export const applyProductScript: LuaScript = loadLuaScript(luaFile('applyProduct-2.lua'));
export const forgetDueScript: LuaScript = loadLuaScript(luaFile('forgetDue-1.lua'));
