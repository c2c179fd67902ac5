import { fileURLToPath } from 'node:url';
import { loadLuaScript, type LuaScript } from 'tributary';

export const recordMailScript: LuaScript = loadLuaScript(fileURLToPath(new URL('./lua/recordMail-4.lua', import.meta.url)));
