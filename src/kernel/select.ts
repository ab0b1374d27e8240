import { HostTarget } from './host.js'
import { QemuTarget, type QemuOptions } from './qemu/target.js'
import type { Target } from './target.js'

/**
 * The target kspec records on: `host` (this machine), `debian` (Debian's kernel under
 * QEMU), or the path of a kernel image booted under QEMU with these options.
 */
export function selectTarget(kernel: string, qemu: Omit<QemuOptions, 'kernel'> = {}): Target {
  if (kernel === 'host') return new HostTarget()
  return new QemuTarget({ ...qemu, kernel })
}
