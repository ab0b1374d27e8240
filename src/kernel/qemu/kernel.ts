import { access, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { exec } from '../exec.js'
import { cacheDir } from './cache.js'
import { dependsOf } from '../workload.js'

export interface KernelImage {
  /** `debian-6.1.0-57-amd64`, or the image's file name. */
  name: string
  vmlinuz: string
  /** The kernel's modules tree, when known (lib/modules/<release>). */
  modules?: string
  /** Debian's package it came from: the rest of its modules are extracted from it when a test loads one. */
  package?: { name: string; dir: string; apt: DebianKernel }
  /** The kernel build tree it came from: out-of-tree modules are built against it. */
  build?: string
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

/** What the boot stage loads (by name, with what they depend on): the agent's channel. */
export const CHANNEL_MODULES = ['virtio_pci', 'virtio_console']
/** …and, to share the host's root: 9p over virtio and the overlay that makes it writable. */
export const SHARE_MODULES = ['9pnet_virtio', '9p', 'overlay']

/**
 * The tracing options Debian's amd64 kernel sets (measured on 6.1.0-57's /boot/config-*,
 * and checked against the package's config by test/qemu): what `--kernel debian` offers
 * where the host lacks it. Not set there: CONFIG_FUNCTION_PROFILER, CONFIG_FPROBE.
 */
export const DEBIAN_TRACING_CONFIG = [
  'CONFIG_MODULES',
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

/**
 * …and what `--kernel debian-backports` adds (measured on bookworm-backports' 6.12.95
 * /boot/config-*, checked by test/qemu): fprobes and tprobes, arguments by BTF name.
 */
export const DEBIAN_BACKPORTS_TRACING_CONFIG = [...DEBIAN_TRACING_CONFIG, 'CONFIG_FPROBE_EVENTS', 'CONFIG_PROBE_EVENTS_BTF_ARGS', 'CONFIG_DEBUG_INFO_BTF']

const exists = (p: string) => access(p).then(() => true, () => false)

/** The Debian kernels kspec fetches by name: the release's own, and bookworm-backports' newer one. */
export const DEBIAN_KERNELS = ['debian', 'debian-backports'] as const
export type DebianKernel = (typeof DEBIAN_KERNELS)[number]
export const isDebianKernel = (k: string): k is DebianKernel => (DEBIAN_KERNELS as readonly string[]).includes(k)

/**
 * apt's options for a kernel's packages: none for the release's own (the machine's
 * sources), and for backports a sources list and package index of kspec's own in the
 * cache, so the machine's apt configuration is never changed. Signed by Debian's archive
 * key, as the release is.
 */
export async function aptOptions(kernel: DebianKernel): Promise<string[]> {
  if (kernel === 'debian') return []
  const dir = await backportsDir()
  const codename = /^VERSION_CODENAME=(\w+)$/m.exec(await readFile('/etc/os-release', 'utf8').catch(() => ''))?.[1]
  if (!codename) throw new Error('--kernel debian-backports: /etc/os-release names no VERSION_CODENAME, so which backports is unknown; this needs a Debian machine')
  const mirror = await debianMirror()
  const list = join(dir, 'sources.list')
  await mkdir(join(dir, 'lists', 'partial'), { recursive: true })
  await writeFile(list, `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror} ${codename}-backports main\n`)
  return ['-o', `Dir::Etc::SourceList=${list}`, '-o', 'Dir::Etc::SourceParts=/dev/null', '-o', `Dir::State::Lists=${join(dir, 'lists')}`, '-o', `Dir::Cache=${join(dir, 'cache')}`]
}

const backportsDir = (): Promise<string> => cacheDir('apt-backports')

/** The Debian mirror the machine's sources name (deb.debian.org when they name none). */
async function debianMirror(): Promise<string> {
  const texts = await Promise.all(['/etc/apt/sources.list', ...(await readdir('/etc/apt/sources.list.d').catch(() => [] as string[])).map((f) => join('/etc/apt/sources.list.d', f))].map((f) => readFile(f, 'utf8').catch(() => '')))
  for (const t of texts) {
    // `deb [opts] URL suite …` (one-line sources) or `URIs: URL` (deb822), the archive's `…/debian`.
    const m = /^(?:deb\s+(?:\[[^\]]*\]\s+)?|URIs:\s+)(https?:\/\/\S+\/debian)\/?(?=\s|$)/m.exec(t)
    if (m) return m[1]
  }
  return 'http://deb.debian.org/debian'
}

/** `apt-get download PKG` into `dir` (Debian's packages: the kernel, its headers); returns the .deb's path. */
export async function aptDownload(pkg: string, dir: string, apt: string[] = []): Promise<string> {
  await exec('apt-get', [...apt, 'download', pkg], { cwd: dir })
  const deb = (await readdir(dir)).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'))
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${dir}`)
  return join(dir, deb)
}

/**
 * A kernel to boot: `debian` (the package linux-image-amd64 depends on, downloaded with
 * apt-get into the cache and extracted), `debian-backports` (the same from the release's
 * backports: a newer kernel, 6.12 for bookworm), or the path of a bzImage/vmlinuz.
 * @example await resolveKernel('debian') // { name: 'debian-6.1.0-57-amd64', vmlinuz: '…/boot/vmlinuz-6.1.0-57-amd64' }
 */
export async function resolveKernel(spec: string, modules?: string): Promise<KernelImage> {
  if (!isDebianKernel(spec)) {
    if (!(await exists(spec))) throw new TypeError(`--kernel ${spec}: no such file; pass a bzImage/vmlinuz path, a kernel build tree, ${DEBIAN_KERNELS.map((k) => `"${k}"`).join(', ')} or "host"`)
    if ((await stat(spec)).isDirectory()) {
      // A build tree: its image, its .config (kernelConfig), its modules (in-tree .ko files, listed in modules.order) unless --modules names others.
      const vmlinuz = join(spec, 'arch', 'x86', 'boot', 'bzImage')
      if (!(await exists(vmlinuz))) throw new TypeError(`--kernel ${spec}: a folder, but no arch/x86/boot/bzImage in it: build the kernel (make bzImage modules) or pass the image's path`)
      const inTree = (await exists(join(spec, 'modules.order'))) ? spec : undefined
      return { name: `tree-${basename(resolve(spec))}`, vmlinuz, modules: modules ?? inTree, build: spec }
    }
    return { name: basename(spec), vmlinuz: spec, modules }
  }
  const kernels = await cacheDir('kernels')
  const pkg = await kernelPackage(spec)
  const dir = join(kernels, pkg)
  const release = pkg.replace(/^linux-image-/, '')
  const image: KernelImage = { name: `debian-${release}`, vmlinuz: join(dir, 'boot', `vmlinuz-${release}`), modules: join(dir, 'lib', 'modules', release), package: { name: pkg, dir, apt: spec } }
  if (await exists(join(image.modules!, 'modules.builtin'))) return image
  // Fetched into a directory of its own, then renamed into place: several workers may
  // fetch at once on a fresh machine, and a rename is atomic.
  const tmp = await mkdtemp(join(kernels, `.${pkg}-`))
  try {
    const deb = await aptDownload(pkg, tmp, await aptOptions(spec))
    // Only /boot and the module lists: all modules are 400 MB; those a boot or a test needs are extracted when first asked for.
    await exec('sh', ['-c', 'f=$1; shift; dpkg-deb --fsys-tarfile "$f" | tar -x ./boot "$@"', 'sh', deb, `./lib/modules/${release}/modules.order`, `./lib/modules/${release}/modules.builtin`], { cwd: tmp })
    await rename(deb, join(tmp, PACKAGE_FILE))
    await rename(tmp, dir).catch(async (e) => {
      // Another process got there first: use its copy.
      if (!(await exists(join(image.modules!, 'modules.builtin')))) throw e
    })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
  return image
}

/** The kernel package `linux-image-amd64` depends on, from the release or its backports. */
async function kernelPackage(spec: DebianKernel): Promise<string> {
  const apt = await aptOptions(spec)
  const depends = async () => /Depends: (linux-image-\S+)/.exec(String((await exec('apt-cache', [...apt, 'depends', 'linux-image-amd64'])).stdout))?.[1]
  if (spec === 'debian') {
    const pkg = await depends().catch((e) => {
      throw new Error(`--kernel debian needs Debian's package index: run apt-get update (as root) and retry. ${(e as Error).message}`)
    })
    if (!pkg) throw new Error('--kernel debian: apt-cache knows no linux-image-amd64; run apt-get update and retry')
    return pkg
  }
  // Backports' own index, fetched once a day at most.
  const lists = join(await backportsDir(), 'lists')
  const indexes = (await readdir(lists).catch(() => [] as string[])).filter((f) => f.endsWith('_Packages'))
  const fetched = indexes.length ? Math.min(...(await Promise.all(indexes.map((f) => stat(join(lists, f)).then((s) => s.mtimeMs))))) : 0
  if (Date.now() - fetched > 86_400_000) {
    await exec('apt-get', [...apt, 'update']).catch((e) => {
      throw new Error(`--kernel debian-backports: could not fetch the backports package index (${(e as Error).message.split('\n')[0]}): it needs Debian's mirror on the network`)
    })
  }
  const pkg = await depends()
  if (!pkg) throw new Error('--kernel debian-backports: the backports index has no linux-image-amd64')
  return pkg
}

const PACKAGE_FILE = 'package.deb'

/** A tree's modules by name, as its modules.order lists their files (relative to the tree). */
async function modulesByName(tree: string): Promise<Map<string, string>> {
  const byName = new Map<string, string>()
  for (const path of (await readFile(join(tree, 'modules.order'), 'utf8').catch(() => '')).split('\n')) {
    if (path) byName.set(normal(basename(path).replace(/\.ko(\.[gx]z|\.zst)?$/, '')), path)
  }
  return byName
}

/** Normalized as the kernel names modules: `snd-hda-intel` is `snd_hda_intel`. */
const normal = (name: string): string => name.replace(/-/g, '_')

/**
 * The files a module needs in the guest, relative to the modules tree: the module and
 * every module it depends on (its `depends=` in .modinfo, followed), found by name in
 * modules.order, extracted from Debian's package on first use (or found in a `--modules`
 * tree), then modules.order and modules.builtin. The package ships no modules.dep
 * (depmod makes it at install): the guest's depmod makes it from these. No .ko files
 * when the module is built in, or unknown (modprobe in the guest then says which).
 */
export async function moduleFiles(image: KernelImage, name: string, release?: string): Promise<string[]> {
  const tree = await modulesRoot(image, release)
  const meta = ['modules.order', 'modules.builtin']
  await extract(image, meta)
  const byName = await modulesByName(tree)
  const files: string[] = []
  const visit = async (module: string): Promise<void> => {
    const path = byName.get(normal(module))
    if (!path || files.includes(path)) return
    files.push(path)
    await extract(image, [path])
    for (const dep of dependsOf(await readFile(join(tree, path)))) await visit(dep)
  }
  await visit(name)
  // modules.builtin tells modprobe a module is built in; a tree may not have it.
  const present: string[] = []
  for (const m of meta) if (await exists(join(tree, m))) present.push(m)
  return [...files, ...present]
}


/** Whether the kernel has `name` built in (its tree's modules.builtin lists it), where that is known. */
export async function isBuiltIn(image: KernelImage, name: string, release?: string): Promise<boolean> {
  if (!image.modules) return false
  const tree = await modulesRoot(image, release)
  await extract(image, ['modules.builtin'])
  const builtin = await readFile(join(tree, 'modules.builtin'), 'utf8').catch(() => '')
  return builtin.split('\n').some((path) => normal(basename(path).replace(/\.ko$/, '')) === normal(name))
}

/**
 * The .ko files of the named modules and of everything they depend on, in an order that
 * loads dependencies first (depth first, each after its `depends=`), found by name in the
 * tree's modules.order and extracted from Debian's package when missing. Absent modules
 * (built in, or not built) are left out: the guest then has them or goes without.
 */
export async function loadOrder(image: KernelImage, names: string[], release?: string): Promise<string[]> {
  if (!image.modules) return []
  const tree = await modulesRoot(image, release)
  await extract(image, ['modules.order'])
  const byName = await modulesByName(tree)
  const order: string[] = []
  const seen = new Set<string>()
  const visit = async (module: string): Promise<void> => {
    const path = byName.get(normal(module))
    if (!path || seen.has(path)) return
    seen.add(path)
    await extract(image, [path])
    const file = join(tree, path)
    if (!(await exists(file))) return
    for (const dep of dependsOf(await readFile(file))) await visit(dep)
    order.push(file)
  }
  for (const name of names) await visit(name)
  return order
}

/**
 * Debian's whole modules tree, extracted from the package once (about 400 MB) and indexed
 * with depmod (kmod's when the host has it, so the guest's kmod tools read it too; else
 * busybox's), for the guest to mount at /lib/modules: modprobe, modinfo and the depmod
 * data then work there as on an installed system. Returns the folder holding
 * `<release>/`, or undefined for a kernel that is not Debian's package.
 */
export async function fullModulesTree(image: KernelImage): Promise<string | undefined> {
  if (!image.package || !image.modules) return undefined
  const release = basename(image.modules)
  const base = join(image.package.dir, 'tree')
  const done = join(base, 'lib', 'modules')
  const kmod = await exec('sh', ['-c', 'PATH=$PATH:/sbin:/usr/sbin command -v depmod']).then((r) => String(r.stdout).trim(), () => '')
  if (await exists(join(done, release, 'modules.dep'))) {
    // Indexed by busybox before kmod was installed: kmod's tools in the guest want their binary index too.
    if (kmod && !(await exists(join(done, release, 'modules.dep.bin')))) await exec(kmod, ['-b', base, release])
    return done
  }
  await extract(image, ['modules.order'])
  const tmp = await mkdtemp(join(image.package.dir, '.tree-'))
  try {
    await exec('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x ./lib/modules', 'sh', join(image.package.dir, PACKAGE_FILE)], { cwd: tmp })
    if (kmod) await exec(kmod, ['-b', tmp, release])
    else await exec('busybox', ['depmod', '-b', tmp, release])
    await rename(tmp, base).catch(async (e) => {
      // Another process got there first: use its copy.
      if (!(await exists(join(done, release, 'modules.dep')))) throw e
    })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
  return done
}

/**
 * An installed modules tree to mount at the guest's /lib/modules, for a kernel that is not
 * Debian's package: `--modules DIR` after `make modules_install INSTALL_MOD_PATH=DIR`
 * (DIR/lib/modules/<release>/modules.dep), or the release folder itself. A build tree's
 * in-tree modules have no depmod index: undefined, and modules are copied in as needed.
 */
export async function installedModulesTree(image: KernelImage): Promise<string | undefined> {
  if (image.package || !image.modules) return undefined
  const lib = join(image.modules, 'lib', 'modules')
  for (const release of await readdir(lib).catch(() => [] as string[])) if (await exists(join(lib, release, 'modules.dep'))) return lib
  if (await exists(join(image.modules, 'modules.dep'))) return dirname(resolve(image.modules))
  return undefined
}

/**
 * Extracts what is missing of `files` (relative to the modules tree) from Debian's package.
 * Newer packages compress every module (`9p.ko.xz`, where modules.order says `9p.ko`):
 * those are unpacked here, so the rest of kspec (and busybox's insmod) sees `.ko` files.
 */
async function extract(image: KernelImage, files: string[]): Promise<void> {
  const missing: string[] = []
  for (const f of files) if (!(await exists(join(image.modules!, f)))) missing.push(f)
  if (missing.length === 0 || !image.package) return
  const release = basename(image.modules!)
  const deb = join(image.package.dir, PACKAGE_FILE)
  if (!(await exists(deb))) {
    // A cache made before packages were kept: fetch it again.
    const tmp = await mkdtemp(join(image.package.dir, '.download-'))
    try {
      await rename(await aptDownload(image.package.name, tmp, await aptOptions(image.package.apt)), deb)
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }
  const modules = missing.filter((f) => f.endsWith('.ko'))
  const others = missing.filter((f) => !f.endsWith('.ko'))
  // A module as it is, or compressed: one pattern takes either.
  const patterns = [...others.map((f) => `./lib/modules/${release}/${f}`), ...modules.map((f) => `./lib/modules/${release}/${f}*`)]
  await exec('sh', ['-c', 'f=$1; shift; dpkg-deb --fsys-tarfile "$f" | tar -x --wildcards "$@"', 'sh', deb, ...patterns], { cwd: image.package.dir })
  for (const f of modules) {
    const file = join(image.modules!, f)
    if (!(await exists(file)) && (await exists(`${file}.xz`))) await exec('busybox', ['unxz', `${file}.xz`])
  }
}

/**
 * Where a kernel's modules are: Debian's package tree, a build tree (modules.order at its
 * root), or a `--modules` folder, which may be `make modules_install INSTALL_MOD_PATH=DIR`'s
 * DIR (then DIR/lib/modules/<release>).
 */
export async function modulesRoot(image: KernelImage, release?: string): Promise<string> {
  if (!image.modules) throw new Error(`${image.name}: no modules tree is known; pass one with --modules DIR (make modules_install INSTALL_MOD_PATH=DIR gives DIR/lib/modules/<release>)`)
  const lib = join(image.modules, 'lib', 'modules')
  // Before boot the release is not known: modules_install's DIR then holds one release.
  const releases = release !== undefined ? [release] : await readdir(lib).catch(() => [] as string[])
  const installed = releases.length === 1 ? join(lib, releases[0]) : undefined
  return installed && (await exists(installed)) ? installed : image.modules
}
