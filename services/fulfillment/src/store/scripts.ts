import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadLuaScript, runLuaScript, type LuaScript, type RedisClient } from 'tributary';

const luaFile = (name: string): string => fileURLToPath(new URL(`./lua/${name}`, import.meta.url));

export const createProductScript: LuaScript = loadLuaScript(luaFile('createProduct-2.lua'));

/**
 * `shipOrder-N.lua` takes one key per product, so its key count is not fixed
 * and the kit's `loadLuaScript` (which reads the count from the file name)
 * cannot load it. It is loaded here; `runVariadicScript` sets the count per
 * call and otherwise uses the kit's EVALSHA-with-NOSCRIPT-fallback path.
 */
function loadVariadicScript(name: string): LuaScript {
  const source = readFileSync(luaFile(`${name}-N.lua`), 'utf8');
  return { name, numberOfKeys: -1, source, sha: createHash('sha1').update(source).digest('hex') };
}

export const shipOrderScript: LuaScript = loadVariadicScript('shipOrder');

export function runVariadicScript<Reply>(
  redis: RedisClient,
  script: LuaScript,
  keys: string[],
  args: Array<string | number>,
): Promise<Reply> {
  return runLuaScript<Reply>(redis, { ...script, numberOfKeys: keys.length }, keys, args);
}
