import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { bundle } from '../src/bundle.mjs';

describe('bundle with its dependencies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function dependency(name: string, source: string): void {
    mkdirSync(join(dir, 'node_modules', name), { recursive: true });
    writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
    writeFileSync(join(dir, 'node_modules', name, 'index.js'), source);
  }

  it('puts CommonJS dependencies into shared chunks that run as ES modules, require of built-ins included', async () => {
    dependency('plain-dependency', "const { join } = require('node:path'); module.exports = { joined: (a, b) => join(a, b) };");
    writeFileSync(join(dir, 'one.ts'), "import { joined } from 'plain-dependency';\nconsole.log(joined('one', 'x'));\n");
    writeFileSync(join(dir, 'two.ts'), "import { joined } from 'plain-dependency';\nconsole.log(joined('two', 'y'));\n");
    const out = join(dir, 'out');
    await bundle({ one: join(dir, 'one.ts'), two: join(dir, 'two.ts') }, out, { dependencies: 'bundle' });
    // The dependency is in a chunk both entries import, not in node_modules at run time.
    expect(readdirSync(join(out, 'chunks')).some((file) => file.endsWith('.mjs'))).toBe(true);
    rmSync(join(dir, 'node_modules', 'plain-dependency'), { recursive: true });
    const run = (entry: string) => spawnSync(process.execPath, [join(out, `${entry}.mjs`)], { encoding: 'utf8' });
    expect(run('one').stdout.trim()).toBe(join('one', 'x'));
    expect(run('two').stdout.trim()).toBe(join('two', 'y'));
  });

  it('fails the build, naming the file, when a bundled dependency finds files next to its own code', async () => {
    dependency('self-locating', "module.exports = { asset: require('node:path').join(__dirname, 'asset.wasm') };");
    writeFileSync(join(dir, 'three.ts'), "import { asset } from 'self-locating';\nconsole.log(asset);\n");
    await expect(bundle({ three: join(dir, 'three.ts') }, join(dir, 'out-three'), { dependencies: 'bundle' })).rejects.toThrow(/self-locating[/\\]index\.js/);
  });

  it('leaves dependencies in node_modules unless asked', async () => {
    await expect(bundle({ three: join(dir, 'three.ts') }, join(dir, 'out-external'))).resolves.toBeDefined();
  });
});
