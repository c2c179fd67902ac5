import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderAsyncApi } from '../packages/contracts/src/asyncapi.ts';
import { renderEventCatalogue } from '../packages/contracts/src/catalogue.ts';
import { renderOpenApi } from '../services/gateway/src/openapi.ts';

// The generated documents: the event catalogue (prose and AsyncAPI) and the public API.
writeFileSync(resolve(import.meta.dirname, '../docs/events.md'), renderEventCatalogue());
writeFileSync(resolve(import.meta.dirname, '../docs/asyncapi.json'), `${JSON.stringify(renderAsyncApi(), null, 2)}\n`);
writeFileSync(resolve(import.meta.dirname, '../docs/openapi.json'), await renderOpenApi());
console.log('wrote docs/events.md, docs/asyncapi.json and docs/openapi.json');
