#!/usr/bin/env node
// The `tributary` command. The CLI is TypeScript run as is, like every script
// of the repository (`node --import tsx`): tsx's loader is registered in this
// process, so there is no build step and no second process to forward signals to.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
