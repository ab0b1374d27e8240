import { mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** kspec's cache (kernels, initramfs images, the agent): $KSPEC_CACHE, else ~/.cache/kspec. */
export async function cacheDir(...sub: string[]): Promise<string> {
  const dir = join(process.env.KSPEC_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kspec'), ...sub)
  await mkdir(dir, { recursive: true })
  return dir
}
