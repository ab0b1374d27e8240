import { HostTarget } from './host.js'
import { QemuTarget } from './qemu/target.js'
import type { Target } from './target.js'

/**
 * The target kspec records on: `KSPEC_KERNEL` (set by `kspec run --kernel`): `host` (the
 * default), `debian` (Debian's kernel under QEMU), or the path of a kernel image.
 */
export function selectTarget(kernel = process.env.KSPEC_KERNEL ?? 'host'): Target {
  if (kernel === 'host') return new HostTarget()
  return new QemuTarget({
    kernel,
    modules: process.env.KSPEC_MODULES,
    accel: (process.env.KSPEC_ACCEL as 'kvm' | 'tcg' | 'auto' | undefined) ?? 'auto',
    memoryMb: process.env.KSPEC_QEMU_MEMORY ? Number(process.env.KSPEC_QEMU_MEMORY) : undefined,
    cpus: process.env.KSPEC_QEMU_CPUS ? Number(process.env.KSPEC_QEMU_CPUS) : undefined,
    bootTimeoutMs: process.env.KSPEC_QEMU_BOOT_TIMEOUT ? Number(process.env.KSPEC_QEMU_BOOT_TIMEOUT) : undefined,
    files: process.env.KSPEC_QEMU_FILES ? JSON.parse(process.env.KSPEC_QEMU_FILES) : undefined,
  })
}
