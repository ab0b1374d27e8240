import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import { validateConfig, type KspecConfig } from './schema.js'

const NAMES = ['kspec.config.ts', 'kspec.config.mts', 'kspec.config.js', 'kspec.config.mjs']

/**
 * Finds and loads the config (TypeScript allowed, through vite's config loader), or the
 * defaults when there is none.
 */
export async function loadConfig(explicit?: string, cwd = process.cwd()): Promise<{ config: KspecConfig; file: string | undefined }> {
  let file = explicit ? resolve(cwd, explicit) : undefined
  if (!file) {
    for (const name of NAMES) {
      const candidate = resolve(cwd, name)
      if (await access(candidate).then(() => true, () => false)) {
        file = candidate
        break
      }
    }
  }
  if (!file) return { config: validateConfig({}, '(defaults)'), file: undefined }
  const { loadConfigFromFile } = await import('vite')
  const loaded = await loadConfigFromFile({ command: 'serve', mode: 'test' }, file, cwd, 'silent', undefined, 'runner')
  if (!loaded) throw new Error(`${file}: could not be loaded`)
  return { config: validateConfig(loaded.config, file), file }
}
