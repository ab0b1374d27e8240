import { HostTarget } from './host.js'
import type { Target } from './target.js'

/**
 * The target kspec records on: `KSPEC_KERNEL` (set by `kspec run --kernel`), `host` by
 * default.
 */
export function selectTarget(kernel = process.env.KSPEC_KERNEL ?? 'host'): Target {
  if (kernel === 'host') return new HostTarget()
  throw new TypeError(`KSPEC_KERNEL=${kernel}: unknown kernel; use host`)
}
