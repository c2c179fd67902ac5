import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { TributaryError } from '../errors.ts';
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

it("turns a script's coded error reply into a TributaryError, and leaves other errors as Redis sent them", async () => {
  const dir = scripts({
    'refuse-1.lua': "if ARGV[1] == 'coded' then return redis.error_reply('TRIB_BAD_ARGUMENTS refuse: told to') end\nreturn redis.error_reply('SOMETHING_ELSE refuse: told to')\n",
  });
  const script = loadLuaScript(join(dir, 'refuse-1.lua'));
  await expect(runLuaScript(env.redis, script, ['k'], ['coded'])).rejects.toMatchObject({
    name: 'TributaryError',
    code: 'TRIB_BAD_ARGUMENTS',
    detail: 'refuse: told to',
    message: 'TRIB_BAD_ARGUMENTS refuse: told to',
  });
  const uncoded = await runLuaScript(env.redis, script, ['k'], ['other']).catch((error: unknown) => error);
  expect(uncoded).not.toBeInstanceOf(TributaryError);
  expect((uncoded as Error).message).toBe('SOMETHING_ELSE refuse: told to');
});

it('runs a script again from its text after SCRIPT FLUSH (NOSCRIPT), and refuses a call with the wrong number of keys', async () => {
  const dir = scripts({ 'echo-1.lua': 'return ARGV[1]\n' });
  const script = loadLuaScript(join(dir, 'echo-1.lua'));
  expect(await runLuaScript(env.redis, script, ['k'], ['one'])).toBe('one');
  await env.redis.sendCommand(['SCRIPT', 'FLUSH']);
  expect(await runLuaScript(env.redis, script, ['k'], ['two'])).toBe('two');
  await expect(runLuaScript(env.redis, script, [], ['three'])).rejects.toMatchObject({ code: 'TRIB_BAD_ARGUMENTS' });
});
