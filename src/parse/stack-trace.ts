import type { DeepestStack } from '../trace/state.js'

/**
 * The stack tracer's files: `stack_max_size` (a number) and `stack_trace`, a table of the
 * deepest stack, innermost first:
 *
 *           Depth    Size   Location    (18 entries)
 *           -----    ----   --------
 *     0)     2928      64   update_curr+0x5/0x1e0
 *     1)     2864      64   dequeue_entity+0x1d/0x350
 *
 * @example parseStackTrace(' 0)  2928  64  update_curr+0x5/0x1e0\n', '2928').frames[0].function // 'update_curr'
 */
export function parseStackTrace(table: string, maxSize: string): DeepestStack {
  const frames: DeepestStack['frames'] = []
  for (const line of table.split('\n')) {
    const m = /^\s*\d+\)\s+(\d+)\s+(\d+)\s+(\S.*?)\s*$/.exec(line)
    if (m === null) continue
    const location = m[3]
    frames.push({ depth: Number(m[1]), size: Number(m[2]), location, function: /^[^+\s]+/.exec(location)![0] })
  }
  return { maxSize: Number(maxSize.trim()), frames }
}
