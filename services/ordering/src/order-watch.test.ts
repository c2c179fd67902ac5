import { describe, expect, it } from 'vitest';
import { createOrderWatch } from './order-watch.ts';

describe('order watch', () => {
  it('wakes every waiter of the order with the status the commit told, and no one else', async () => {
    const watch = createOrderWatch();
    const first = watch.next('order-1', 60_000);
    const second = watch.next('order-1', 60_000);
    let otherWoken = false;
    const other = watch.next('order-2', 60_000).then(() => (otherWoken = true));
    watch.changed('order-1', 'AWAITING_SHIPMENT');
    expect(await Promise.all([first, second])).toEqual(['AWAITING_SHIPMENT', 'AWAITING_SHIPMENT']);
    expect(otherWoken).toBe(false);
    watch.changed('order-2');
    await other;
  });

  it('answers null when the change came without a status, or when the wait ran out', async () => {
    const watch = createOrderWatch();
    const untold = watch.next('order-1', 60_000);
    watch.changed('order-1');
    expect(await untold).toBeNull();
    expect(await watch.next('order-1', 5)).toBeNull();
    // A change with no one waiting is dropped: the next waiter waits for the next change.
    watch.changed('order-1', 'COMPLETED_SUCCESSFULLY');
    expect(await watch.next('order-1', 5)).toBeNull();
  });
});
