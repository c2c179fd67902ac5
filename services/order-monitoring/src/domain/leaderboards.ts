/** The shop's rankings, counted from successfully completed orders only. Pure, no I/O. */
export const LEADERBOARDS = ['best-sellers', 'top-spenders'] as const;
export type LeaderboardName = (typeof LEADERBOARDS)[number];

export const isLeaderboard = (name: string): name is LeaderboardName => LEADERBOARDS.some((board) => board === name);

export interface OrderLine {
  productId: string;
  quantity: number;
}

/** One line per product with its total units: a product listed twice counts once, with both quantities. */
export function mergeLines(items: readonly OrderLine[]): OrderLine[] {
  const totals = new Map<string, number>();
  for (const { productId, quantity } of items) totals.set(productId, (totals.get(productId) ?? 0) + quantity);
  return [...totals].map(([productId, quantity]) => ({ productId, quantity }));
}
