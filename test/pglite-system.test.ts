// The suites that need a whole system with the defaults (PGlite, tracing on)
// and can share one: started once (test/support/shared-system.ts), then the
// suites in this order. Fuzz first: it compares the stores before and after
// its requests, so it wants a system nothing else has work in flight on.
import { sharedSystem } from './support/shared-system.ts';
import './suites/fuzz.ts';
import './suites/shop.ts';
// After the shop: it lends a book the shop's lending suite lends and returns.
import './suites/dashboard.ts';
import { sagaSuite } from './suites/saga.ts';

sagaSuite('pglite', sharedSystem);
