import { readFile } from 'node:fs/promises'
import { release } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { resolveKernel } from './qemu/kernel.js'

/** A kernel's build configuration, as its `.config` says: `CONFIG_X` → `y`, `m` or a value; absent when not set. */
export interface KernelConfig {
  /** Where it was read. */
  file: string
  options: Map<string, string>
}

/** `CONFIG_X=y` lines; `# CONFIG_X is not set` and comments leave X out. */
export function parseKernelConfig(text: string): Map<string, string> {
  const options = new Map<string, string>()
  for (const m of text.matchAll(/^(CONFIG_\w+)=(.*)$/gm)) options.set(m[1], m[2].replace(/^"(.*)"$/, '$1'))
  return options
}

const read = (file: string): Promise<KernelConfig | undefined> =>
  readFile(file)
    .then((b) => ({ file, options: parseKernelConfig((file.endsWith('.gz') ? gunzipSync(b) : b).toString('utf8')) }))
    .catch(() => undefined)

/**
 * The configuration of a kernel kspec can run on: `host` (/proc/config.gz, else
 * /boot/config-<release>), `debian` (the package's /boot/config-*), or a kernel image:
 * `arch/<arch>/boot/bzImage` of a build tree (the tree's `.config`), or `vmlinuz-<v>`
 * beside `config-<v>`. Undefined when none is found.
 */
export async function kernelConfig(kernel: string): Promise<KernelConfig | undefined> {
  if (kernel === 'host') return (await read('/proc/config.gz')) ?? (await read(`/boot/config-${release()}`))
  const image = await resolveKernel(kernel)
  const dir = dirname(image.vmlinuz)
  const version = /^vmlinu[xz]-(.+)$/.exec(basename(image.vmlinuz))?.[1]
  const candidates = [
    ...(version ? [join(dir, `config-${version}`)] : []),
    // arch/x86/boot/bzImage → the tree's .config
    ...(/\/arch\/[^/]+\/boot$/.test(dir) ? [join(dir, '..', '..', '..', '.config')] : []),
    join(dir, '.config'),
  ]
  for (const file of candidates) {
    const config = await read(file)
    if (config) return config
  }
  return undefined
}
