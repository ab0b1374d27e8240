import { cpSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { CHANNEL_MODULES, loadOrder, modulesRoot, resolveKernel } from '../src/kernel/qemu/kernel.js'
import { tempDir } from './helpers.js'

/**
 * A kernel without 9p, made of Debian's real pieces: its image, and a modules tree holding
 * only the agent's channel (virtio-serial). Sharing the host's root fails there, as on a
 * kernel built without CONFIG_9P_FS. The tree is removed when the test ends.
 */
export async function kernelWithout9p(): Promise<{ vmlinuz: string; modules: string }> {
  const debian = await resolveKernel('debian')
  const channel = await loadOrder(debian, CHANNEL_MODULES)
  const root = await modulesRoot(debian)
  const tree = tempDir('kspec-no9p-')
  const rel = channel.map((f) => f.slice(root.length + 1))
  for (const r of rel) {
    mkdirSync(join(tree, dirname(r)), { recursive: true })
    cpSync(join(root, r), join(tree, r))
  }
  writeFileSync(join(tree, 'modules.order'), rel.join('\n') + '\n')
  return { vmlinuz: debian.vmlinuz, modules: tree }
}
