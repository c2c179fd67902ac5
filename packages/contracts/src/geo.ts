import { Type } from 'tributary';

/** WGS 84 degrees. */
export const GeoPoint = Type.Object(
  { lat: Type.Number({ minimum: -85.05112878, maximum: 85.05112878 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
  { additionalProperties: false },
);
