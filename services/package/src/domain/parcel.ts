import type { PACKAGE_SIZES } from '@tributary/contracts';

/**
 * What a parcel looks like, from its lines alone. Products carry no weight or
 * dimensions in this shop, so the rules are deliberately simple and
 * deterministic (the same order always makes the same parcel):
 * - every unit weighs 500 g (capped at the contract's 100 t, which only an
 *   absurd order of 100 lines x 10,000 units would reach);
 * - size by unit count: 1-2 SMALL, 3-10 MEDIUM, 11+ LARGE;
 * - tags: 'heavy' over 5 kg, else 'standard'; 'size-<size>'; 'multi-item'
 *   for more than one unit; 'country-<cc>' (lower case) when the destination
 *   is known. Every tag matches the contract's `^[a-z0-9-]+$`.
 */

export type PackageSize = (typeof PACKAGE_SIZES)[number];

export const GRAMS_PER_UNIT = 500;
export const MAX_WEIGHT_GRAMS = 100_000_000;
export const HEAVY_OVER_GRAMS = 5_000;
export const SMALL_MAX_UNITS = 2;
export const MEDIUM_MAX_UNITS = 10;

export interface ParcelLine {
  productId: string;
  quantity: number;
}

export interface Parcel {
  size: PackageSize;
  weightGrams: number;
  tags: string[];
}

export function unitsOf(lines: readonly ParcelLine[]): number {
  return lines.reduce((sum, line) => sum + line.quantity, 0);
}

export function sizeFor(units: number): PackageSize {
  if (units <= SMALL_MAX_UNITS) return 'SMALL';
  if (units <= MEDIUM_MAX_UNITS) return 'MEDIUM';
  return 'LARGE';
}

export function weightFor(units: number): number {
  return Math.min(units * GRAMS_PER_UNIT, MAX_WEIGHT_GRAMS);
}

/** `country` is ISO 3166-1 alpha-2 (upper case, as in the contracts), or null when unknown. */
export function tagsFor(parcel: { units: number; size: PackageSize; weightGrams: number; country: string | null }): string[] {
  const tags = [parcel.weightGrams > HEAVY_OVER_GRAMS ? 'heavy' : 'standard', `size-${parcel.size.toLowerCase()}`];
  if (parcel.units > 1) tags.push('multi-item');
  if (parcel.country !== null) tags.push(`country-${parcel.country.toLowerCase()}`);
  return tags;
}

export function describeParcel(lines: readonly ParcelLine[], country: string | null): Parcel {
  const units = unitsOf(lines);
  const size = sizeFor(units);
  const weightGrams = weightFor(units);
  return { size, weightGrams, tags: tagsFor({ units, size, weightGrams, country }) };
}
