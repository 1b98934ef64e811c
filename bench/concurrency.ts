/**
 * Work on items 0..count-1 with at most `concurrency` in progress, each started as soon as
 * one finishes (not in rounds), so one slow item holds up no others.
 */
export async function forEachConcurrently(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}
