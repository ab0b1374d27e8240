/** Durations as matchers take them (`'1.5ms'`) and print them (`1.5 ms`), in microseconds as function_graph counts. */

const UNITS: Record<string, number> = { ns: 0.001, us: 1, µs: 1, ms: 1000, s: 1_000_000 }

/**
 * A time budget in microseconds, from `'200us'`, `'1.5ms'`, `'2s'`, `'500ns'`.
 * @example parseDuration('1.5ms') // 1500
 */
export function parseDuration(text: unknown, matcher: string): number {
  const m = typeof text === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*$/.exec(text) : null
  if (!m) {
    throw new TypeError(
      `expect(trace).${matcher}(): malformed duration ${JSON.stringify(text) ?? String(text)}: write a number with a unit, e.g. '200us', '1.5ms', '2s' or '500ns'.`,
    )
  }
  return Number(m[1]) * UNITS[m[2]]
}

/** Prints microseconds the way function_graph does, scaled for reading. */
export function formatDuration(us: number): string {
  if (us >= 1_000_000) return `${+(us / 1_000_000).toFixed(3)} s`
  if (us >= 1000) return `${+(us / 1000).toFixed(3)} ms`
  return `${+us.toFixed(3)} us`
}
