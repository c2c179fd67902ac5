import { FormatRegistry } from '@sinclair/typebox';

/**
 * TypeBox's compiler knows no string formats until they are registered, and
 * then rejects every value of an unknown one. The kit validates events and
 * messages with it, so it registers the formats schemas commonly use, with
 * the same meaning as Ajv's `ajv-formats` (which the HTTP layer uses).
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const formats: Record<string, (value: string) => boolean> = {
  'date-time': (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)),
  date: (value) => DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)),
  uuid: (value) => UUID.test(value),
  email: (value) => EMAIL.test(value),
};

for (const [name, check] of Object.entries(formats)) {
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);
}
