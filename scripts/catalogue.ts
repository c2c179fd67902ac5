import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderAsyncApi } from '../packages/contracts/src/asyncapi.ts';
import { renderEventCatalogue } from '../packages/contracts/src/catalogue.ts';
import { renderOpenApi } from '../services/gateway/src/openapi.ts';
import { withServiceSettings } from './service-settings.ts';

// The generated documents: the event catalogue (prose and AsyncAPI), the public API and the README's service settings.
writeFileSync(resolve(import.meta.dirname, '../docs/events.md'), renderEventCatalogue());
writeFileSync(resolve(import.meta.dirname, '../docs/asyncapi.json'), `${JSON.stringify(renderAsyncApi(), null, 2)}\n`);
writeFileSync(resolve(import.meta.dirname, '../docs/openapi.json'), await renderOpenApi());
const readme = resolve(import.meta.dirname, '../README.md');
writeFileSync(readme, withServiceSettings(readFileSync(readme, 'utf8')));
console.log('wrote docs/events.md, docs/asyncapi.json, docs/openapi.json and the service settings in README.md');
