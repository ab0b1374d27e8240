import { availableParallelism } from 'node:os'
import type { Plugin } from 'vite'
// vitest's `test` key in vite's config types.
import type {} from 'vitest/config'
import { loadConfig } from './config/load.js'
import { settingsFrom, type Settings } from './config/settings.js'
import { startBroker } from './kernel/qemu/broker.js'
import { withHugePages } from './parse/huge-pages.js'

export interface KspecPluginOptions {
  /** The kspec config file (default: kspec.config.{ts,mts,js,mjs} in the project root). */
  config?: string
  /** The kernel to run on (default: $KSPEC_KERNEL, else the config's first kernel). */
  kernel?: string
  /** Settings already resolved (`kspec run` passes its own, per kernel); the config is not read then. */
  settings?: Settings
}

/**
 * kspec in a vitest config: `plugins: [kspec()]`. It reads kspec.config.ts, validates it,
 * and hands the settings to the test workers typed (vitest's `provide`; checked again
 * where they arrive), so `npx vitest`, watch mode and editor integrations run specs as
 * `kspec run` does. `kspec run` itself goes through this plugin too.
 *
 * It also sets what kspec needs of vitest: the forks pool (kspec names what it creates in
 * tracefs after the owning process); huge pages for the workers, which load the traces
 * (GLIBC_TUNABLES in their environment, see src/parse/huge-pages.ts; a value of yours
 * for glibc.malloc.hugetlb stands); and, where your vitest config does not say, the
 * config's spec globs and test timeout.
 * @example
 * // vitest.config.ts
 * import { defineConfig } from 'vitest/config'
 * import { kspec } from 'kspec/vitest'
 * export default defineConfig({ plugins: [kspec()] })
 */
export function kspec(options: KspecPluginOptions = {}): Plugin {
  let kernel: string | undefined
  return {
    name: 'kspec',
    /**
     * For a kernel under QEMU, the run's VMs live here, in vitest's main process, and the
     * workers borrow them (src/kernel/qemu/broker.ts): spec files keep vitest's isolation
     * (a fresh worker process each) without a boot each.
     */
    async configureVitest({ vitest, project }) {
      if (kernel === undefined || kernel === 'host') return
      // As many VMs as vitest runs workers at once (its own default when the config sets none).
      const cpus = availableParallelism()
      const workers = project.config.maxWorkers || vitest.config.maxWorkers || (vitest.config.watch ? Math.floor(cpus / 2) : cpus - 1)
      const broker = await startBroker({ maxVms: Math.max(1, Number(workers) || 1) })
      if (process.env.KSPEC_DEBUG_BROKER) console.error('maxWorkers', vitest.config.maxWorkers)
      project.provide('kspecVms', broker.address)
      vitest.onClose(() => broker.close())
    },
    async config(user) {
      let settings = options.settings
      let own: { include?: string[]; timeoutMs?: number } = {}
      if (!settings) {
        const { config } = await loadConfig(options.config, user.root ?? process.cwd())
        settings = settingsFrom(config, { kernel: options.kernel ?? process.env.KSPEC_KERNEL })
        own = { include: config.specs, timeoutMs: config.timeoutMs }
      }
      kernel = settings.kernel
      const test = user.test ?? {}
      if (test.pool !== undefined && test.pool !== 'forks') {
        throw new Error(`kspec needs vitest's forks pool (it names what it creates in tracefs after each worker's process), but the vitest config sets pool: ${JSON.stringify(test.pool)}: remove the pool setting, or set pool: 'forks'`)
      }
      // Set where each worker process starts: glibc reads its tunables then.
      const tunables = withHugePages(test.env?.GLIBC_TUNABLES ?? process.env.GLIBC_TUNABLES)
      return {
        test: {
          provide: { kspec: settings },
          pool: 'forks',
          env: { GLIBC_TUNABLES: tunables },
          ...(test.include === undefined && own.include ? { include: own.include } : {}),
          ...(test.testTimeout === undefined && own.timeoutMs ? { testTimeout: own.timeoutMs } : {}),
          ...(test.hookTimeout === undefined && own.timeoutMs ? { hookTimeout: own.timeoutMs } : {}),
        },
      }
    },
  }
}

export type { Settings } from './config/settings.js'
