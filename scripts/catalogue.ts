import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderEventCatalogue } from '../packages/contracts/src/catalogue.ts';
import { renderOpenApi } from '../services/gateway/src/openapi.ts';

// The two generated documents: the event catalogue and the public API.
writeFileSync(resolve(import.meta.dirname, '../docs/events.md'), renderEventCatalogue());
writeFileSync(resolve(import.meta.dirname, '../docs/openapi.json'), await renderOpenApi());
console.log('wrote docs/events.md and docs/openapi.json');
