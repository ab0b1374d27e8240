import { z } from 'zod'
import { nearest } from '../text.js'

const kernel = z.string().min(1).refine((k) => k === 'host' || k === 'debian' || k === 'debian-backports' || k.startsWith('/') || k.startsWith('.'), 'a kernel is "host", "debian" (Debian\'s own kernel under QEMU), "debian-backports" (its newer one from backports) or the path of a bzImage/vmlinuz')

export const configSchema = z.strictObject({
  /** Spec globs, relative to the config file's directory. */
  specs: z.array(z.string().min(1)).default(['specs/**/*.spec.ts']),
  /** Kernels to run every spec on, in order. */
  kernels: z.array(kernel).min(1).default(['host']),
  qemu: z
    .strictObject({
      memoryMb: z.number().int().min(128).max(65536).optional(),
      cpus: z.number().int().min(1).max(64).optional(),
      accel: z.enum(['auto', 'kvm', 'tcg']).optional(),
      bootTimeoutMs: z.number().int().positive().optional(),
      /** The modules tree of a --kernel PATH (lib/modules/<release>). */
      modules: z.string().optional(),
      /**
       * The guest runs the host's programs: the host root shared read-only (9p) under a
       * tmpfs overlay, the working folder shared writable at its path (true, the default);
       * false keeps the guest on busybox from the initramfs.
       */
      shareRoot: z.boolean().optional(),
      /** Files placed in the guest's initramfs: your test binaries and scripts. */
      files: z.array(z.strictObject({ from: z.string().min(1), to: z.string().regex(/^\/[^\0]*$/, 'a guest path is absolute') })).default([]),
    })
    .default({ files: [] }),
  reporters: z.array(z.enum(['default', 'junit', 'json', 'ktap'])).default(['default']),
  /** Where the JUnit report goes. */
  outputFile: z.string().optional(),
  artifactDir: z.string().default('kspec-artifacts'),
  /** Keep artifacts of failed tests only, or of every test. */
  artifacts: z.enum(['failed', 'all']).default('failed'),
  /** Test timeout in ms; workloads get it less a margin. */
  timeoutMs: z.number().int().positive().default(120_000),
  /** Ring buffer size for declarations that do not set bufferSizeKb. */
  bufferSizeKb: z.number().int().min(1).optional(),
})

export type KspecConfigInput = z.input<typeof configSchema>
export type KspecConfig = z.output<typeof configSchema>

/**
 * Types a kspec.config.ts.
 * @example export default defineConfig({ kernels: ['host', 'debian'], reporters: ['default', 'junit'] })
 */
export function defineConfig(config: KspecConfigInput): KspecConfigInput {
  return config
}

/** Every problem at once, each with its path; unknown keys with a did-you-mean. */
export function validateConfig(raw: unknown, file: string): KspecConfig {
  const r = configSchema.safeParse(raw)
  if (r.success) return r.data
  const lines = r.error.issues.map((issue) => {
    const at = issue.path.length ? ` → at ${issue.path.join('.')}` : ''
    if (issue.code === 'unrecognized_keys') {
      const shape = issue.path.length === 0 ? configSchema.shape : issue.path[0] === 'qemu' ? configSchema.shape.qemu.unwrap().shape : {}
      return issue.keys.map((k) => {
        const near = nearest(k, Object.keys(shape))
        return `✖ unknown key "${k}"${near.length ? `: did you mean "${near[0]}"?` : ''}${at}`
      }).join('\n')
    }
    return `✖ ${issue.message}${at}`
  })
  throw new ConfigError(`${file}: ${lines.length === 1 ? 'a problem' : `${lines.length} problems`}\n${lines.join('\n')}`)
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}
