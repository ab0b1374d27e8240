import { createHash } from 'node:crypto'
import { access, cp, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { exec } from './exec.js'
import { cacheDir } from './qemu/cache.js'
import { aptDownload, aptOptions, type DebianKernel } from './qemu/kernel.js'

const exists = (p: string) => access(p).then(() => true, () => false)

/**
 * Debian's headers for a kernel release, ready for `make -C DIR M=… modules`: the
 * packages linux-headers-<release>, its -common and linux-kbuild (fetched with apt-get
 * download, extracted into the cache once). The package's Makefile includes the -common
 * one by its installed path (/usr/src/…): it is pointed at the cache instead.
 * @example make -C $(kspec headers --kernel debian) M=$PWD modules
 */
export async function debianHeaders(release: string, kernel: DebianKernel = 'debian'): Promise<string> {
  const root = await cacheDir('headers')
  const dir = join(root, release)
  const build = join(dir, 'usr', 'src', `linux-headers-${release}`)
  if (await exists(join(dir, '.ready'))) return build
  const pkg = `linux-headers-${release}`
  const apt = await aptOptions(kernel)
  const depends = String((await exec('apt-cache', [...apt, 'depends', pkg]).catch((e) => {
    throw new Error(`the headers of ${release} (${pkg}) are not in Debian's package index: run apt-get update and retry. ${(e as Error).message}`)
  })).stdout)
  const packages = [pkg, ...[...depends.matchAll(/Depends: (linux-(?:headers|kbuild)-\S+)/g)].map((m) => m[1])]
  const tmp = await mkdtemp(join(root, `.${release}-`))
  try {
    for (const p of packages) {
      const deb = await aptDownload(p, tmp, apt)
      await exec('dpkg-deb', ['-x', deb, 'root'], { cwd: tmp })
      await rm(deb)
    }
    await rename(join(tmp, 'root'), dir).catch(async (e) => {
      // Another process got there first: use its copy.
      if (!(await exists(dir))) throw e
    })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
  const makefile = join(build, 'Makefile')
  const text = await readFile(makefile, 'utf8')
  if (text.includes('include /usr/src/')) await writeFile(makefile, text.replaceAll('include /usr/src/', `include ${join(dir, 'usr', 'src')}/`))
  await writeFile(join(dir, '.ready'), '')
  return build
}

/**
 * Builds an out-of-tree module's source folder (its Makefile or Kbuild with `obj-m`, its
 * .c and .h files) against a kernel's build directory, in a folder of the cache named by
 * the hash of the sources and the kernel, so the user's folder gets no build products and
 * an unchanged source is not built twice. Returns the .ko.
 */
export async function buildModule(source: string, kernelBuild: string): Promise<string> {
  const files = (await readdir(source).catch(() => {
    throw new Error(`the module source ${source} is not a folder: give the folder holding its Makefile (obj-m += NAME.o) and sources`)
  })).filter((f) => /^(Makefile|Kbuild)$|\.[ch]$/.test(f)).sort()
  if (!files.some((f) => f === 'Makefile' || f === 'Kbuild')) throw new Error(`the module source ${source} has no Makefile or Kbuild (obj-m += NAME.o)`)
  const hash = createHash('sha256').update(kernelBuild)
  for (const f of files) hash.update(f).update(await readFile(join(source, f)))
  const dir = join(await cacheDir('modules'), `${basename(source)}-${hash.digest('hex').slice(0, 16)}`)
  const built = async () => (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.ko'))
  if ((await built()).length === 0) {
    const tmp = await mkdtemp(`${dir}.`)
    try {
      for (const f of files) if ((await stat(join(source, f))).isFile()) await cp(join(source, f), join(tmp, f))
      await exec('make', ['-C', kernelBuild, `M=${tmp}`, 'modules']).catch((e) => {
        throw new Error(`the module in ${source} did not build against ${kernelBuild}:\n${(e as Error).message}`)
      })
      // Built aside, then renamed into place: workers may build the same source at once.
      await rename(tmp, dir).catch(async (e) => {
        if ((await built()).length === 0) throw e
      })
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }
  const kos = await built()
  if (kos.length !== 1) throw new Error(`the module source ${source} built ${kos.length} modules (${kos.join(', ')}): kspec loads one module per source folder`)
  return join(dir, kos[0])
}
