import { access, mkdtemp, readdir, rename, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { exec } from '../exec.js'
import { cacheDir } from './cache.js'

export interface KernelImage {
  /** `debian-6.1.0-57-amd64`, or the image's file name. */
  name: string
  vmlinuz: string
  /** The kernel's modules tree, when known (lib/modules/<release>). */
  modules?: string
}

/**
 * The modules a fast agent channel needs, in load order: virtio-serial moves a trace out
 * of the guest at many MB/s where the emulated 8250 manages a few hundred KB/s.
 */
export const VIRTIO_MODULES = [
  'kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio.ko',
  'kernel/drivers/virtio/virtio_pci_modern_dev.ko',
  'kernel/drivers/virtio/virtio_pci_legacy_dev.ko',
  'kernel/drivers/virtio/virtio_pci.ko',
  'kernel/drivers/char/virtio_console.ko',
]

/**
 * The tracing options Debian's amd64 kernel sets (measured on 6.1.0-57's /boot/config-*,
 * and checked against the package's config by test/qemu): what `--kernel debian` offers
 * where the host lacks it. Not set there: CONFIG_FUNCTION_PROFILER, CONFIG_FPROBE.
 */
export const DEBIAN_TRACING_CONFIG = [
  'CONFIG_FTRACE',
  'CONFIG_FTRACE_SYSCALLS',
  'CONFIG_FUNCTION_TRACER',
  'CONFIG_FUNCTION_GRAPH_TRACER',
  'CONFIG_DYNAMIC_FTRACE',
  'CONFIG_KPROBE_EVENTS',
  'CONFIG_UPROBE_EVENTS',
  'CONFIG_HAVE_FUNCTION_ARG_ACCESS_API',
  'CONFIG_HIST_TRIGGERS',
  'CONFIG_SYNTH_EVENTS',
  'CONFIG_TRACER_SNAPSHOT',
  'CONFIG_STACK_TRACER',
  'CONFIG_STACKTRACE',
]

const exists = (p: string) => access(p).then(() => true, () => false)

/**
 * A kernel to boot: `debian` (the package linux-image-amd64 depends on, downloaded with
 * apt-get into the cache and extracted), or the path of a bzImage/vmlinuz.
 * @example await resolveKernel('debian') // { name: 'debian-6.1.0-57-amd64', vmlinuz: '…/boot/vmlinuz-6.1.0-57-amd64' }
 */
export async function resolveKernel(spec: string, modules?: string): Promise<KernelImage> {
  if (spec !== 'debian') {
    if (!(await exists(spec))) throw new TypeError(`--kernel ${spec}: no such file; pass a bzImage/vmlinuz path, "debian" or "host"`)
    return { name: basename(spec), vmlinuz: spec, modules }
  }
  const depends = await exec('apt-cache', ['depends', 'linux-image-amd64']).catch((e) => {
    throw new Error(`--kernel debian needs Debian's package index: run apt-get update (as root) and retry. ${(e as Error).message}`)
  })
  const pkg = /Depends: (linux-image-\S+)/.exec(String(depends.stdout))?.[1]
  if (!pkg) throw new Error('--kernel debian: apt-cache knows no linux-image-amd64; run apt-get update and retry')
  const kernels = await cacheDir('kernels')
  const dir = join(kernels, pkg)
  const release = pkg.replace(/^linux-image-/, '')
  const image = { name: `debian-${release}`, vmlinuz: join(dir, 'boot', `vmlinuz-${release}`), modules: join(dir, 'lib', 'modules', release) }
  if (await exists(join(image.modules, VIRTIO_MODULES.at(-1)!))) return image
  // Fetched into a directory of its own, then renamed into place: several workers may
  // fetch at once on a fresh machine, and a rename is atomic.
  const tmp = await mkdtemp(join(kernels, `.${pkg}-`))
  try {
    await exec('apt-get', ['download', pkg], { cwd: tmp })
    const deb = (await readdir(tmp)).find((f) => f.endsWith('.deb'))
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${tmp}`)
    // Only /boot and the virtio modules: all modules are 400 MB.
    const wanted = VIRTIO_MODULES.map((m) => `./lib/modules/${release}/${m}`)
    await exec('sh', ['-c', 'f=$1; shift; dpkg-deb --fsys-tarfile "$f" | tar -x ./boot "$@"', 'sh', join(tmp, deb), ...wanted], { cwd: tmp })
    await rm(join(tmp, deb))
    await rename(tmp, dir).catch(async (e) => {
      // Another process got there first: use its copy.
      if (!(await exists(join(image.modules, VIRTIO_MODULES.at(-1)!)))) throw e
    })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
  return image
}
