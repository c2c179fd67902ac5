import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadLuaScript, runLuaScript } from './script.ts';
import { useRedis } from '../testing/vitest.ts';

const env = useRedis();

function scripts(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'trib-lua-'));
  mkdirSync(join(dir, 'includes'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

it('inlines `--- @include` files, each once, and runs the result on a real Redis', async () => {
  const dir = scripts({
    'includes/double.lua': '--- @include "twice"\nlocal function double(n) return twice(n) end\n',
    'includes/twice.lua': 'local function twice(n) return n * 2 end\n',
    'useBoth-1.lua': '--- @include "includes/twice"\n--- @include "includes/double"\nreturn { twice(1), double(tonumber(ARGV[1])) }\n',
  });
  const script = loadLuaScript(join(dir, 'useBoth-1.lua'));
  expect(script.source.match(/local function twice/g)).toHaveLength(1);
  expect(script.source).not.toContain('@include');
  expect(await runLuaScript(env.redis, script, ['k'], [21])).toEqual([2, 42]);
});

it('names a missing include in its error', () => {
  const dir = scripts({ 'broken-0.lua': '--- @include "includes/nowhere"\nreturn 1\n' });
  expect(() => loadLuaScript(join(dir, 'broken-0.lua'))).toThrow(/nowhere\.lua/);
});
