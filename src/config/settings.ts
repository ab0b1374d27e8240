import { release } from 'node:os'
import { z } from 'zod'
import { configSchema, type KspecConfig } from './schema.js'

/**
 * What the test workers need of a run's configuration: which kernel, how to boot it, where
 * artifacts go. It travels from the main process (`kspec run`, or plain `vitest` through
 * the `kspec/vitest` plugin) to the workers through vitest's `provide`/`inject`, and is
 * validated with this schema again where it arrives: one typed object, not environment strings.
 */
export const settingsSchema = z.strictObject({
  /** `host`, `debian`, or the path of a kernel image. */
  kernel: configSchema.shape.kernels.unwrap().element,
  /** What reports call the kernel: `host 6.18.44`, `debian-6.1.0-57-amd64`. */
  kernelLabel: z.string().min(1),
  qemu: configSchema.shape.qemu.unwrap().extend({ accel: z.enum(['auto', 'kvm', 'tcg']).default('auto') }),
  bufferSizeKb: configSchema.shape.bufferSizeKb,
  artifactDir: configSchema.shape.artifactDir.unwrap(),
  artifacts: configSchema.shape.artifacts.unwrap(),
  /** Where `kspec run` gathers each kernel's JUnit suites; an orphaned worker removes it. */
  junitParts: z.string().optional(),
})

export type Settings = z.output<typeof settingsSchema>
export type SettingsInput = z.input<typeof settingsSchema>

declare module 'vitest' {
  interface ProvidedContext {
    /** kspec's settings for this run (see src/config/settings.ts). */
    kspec: SettingsInput
    /** Where the run's VM broker listens, when the kernel is booted under QEMU (src/kernel/qemu/broker.ts). */
    kspecVms?: string
  }
}

/** The label reports give a kernel when `kspec run` has not resolved a better one. */
export const kernelLabelOf = (kernel: string): string => (kernel === 'host' ? `host ${release()}` : kernel)

/** A run's settings from the validated config, for one of its kernels. */
export function settingsFrom(config: KspecConfig, over: { kernel?: string; kernelLabel?: string; modules?: string; accel?: 'auto' | 'kvm' | 'tcg'; junitParts?: string } = {}): Settings {
  const kernel = over.kernel ?? config.kernels[0]
  return settingsSchema.parse({
    kernel,
    kernelLabel: over.kernelLabel ?? kernelLabelOf(kernel),
    qemu: { ...config.qemu, modules: over.modules ?? config.qemu.modules, accel: over.accel ?? config.qemu.accel },
    bufferSizeKb: config.bufferSizeKb,
    artifactDir: config.artifactDir,
    artifacts: config.artifacts,
    junitParts: over.junitParts,
  })
}

/**
 * The settings as they arrived in a worker, checked again: a value that is not what the
 * schema says (an old kspec's, a hand-written `provide`) is refused with every problem named.
 * Nothing provided (vitest without the plugin) gives the defaults on this machine's kernel.
 */
export function receivedSettings(raw: unknown): Settings {
  if (raw === undefined) return settingsFrom(configSchema.parse({}))
  const r = settingsSchema.safeParse(raw)
  if (r.success) return r.data
  const problems = r.error.issues.map((i) => `✖ ${i.message}${i.path.length ? ` → at ${i.path.join('.')}` : ''}`)
  throw new TypeError(`kspec's settings in this test worker are not valid (provided as "kspec" to vitest):\n${problems.join('\n')}\nSet them through kspec.config.ts and the kspec/vitest plugin, not by hand.`)
}
