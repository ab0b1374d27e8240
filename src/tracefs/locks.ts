import type { Target } from '../kernel/target.js'

/** Runs `fn` holding the target's lock `name`, let go however `fn` ends. */
export async function holding<T>(t: Target, name: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const release = await t.lock(name, timeoutMs)
  try {
    return await fn()
  } finally {
    await release()
  }
}

/**
 * The dynamic event files (kprobe_events, uprobe_events, dynamic_events, synthetic_events)
 * are the machine's: kspec writes them one process at a time.
 */
export const withDynamicEvents = <T>(t: Target, fn: () => Promise<T>): Promise<T> => holding(t, 'dynamic_events', 30_000, fn)
