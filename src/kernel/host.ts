import { constants } from 'node:fs'
import { access, mkdir, open, readFile, readdir, rmdir, unlink, writeFile } from 'node:fs/promises'
import { release as osRelease } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { TargetError, TracefsUnavailableError } from '../errors.js'
import { exec } from './exec.js'
import { pidAlive } from '../tempdir.js'
import { hostSpawner } from './spawner.js'
import { noteFile, noteKeyOf, sysctlPath, type Spawner, type Sysctl, type Target } from './target.js'
import { dependsOf, moduleError, moduleNameOf, moduleNames, newKernelLines } from './workload.js'
import { buildModule } from './build.js'

const MOUNTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']
const LOCK_DIR = process.env.KSPEC_LOCK_DIR ?? '/run/kspec'
/** Notes of what to undo after a dead run (Target.writeNote), root's alone. */
const NOTE_DIR = join(LOCK_DIR, 'undo')

const notePath = (key: string): string => noteFile(NOTE_DIR, key)

/** This machine's kernel, through node:fs and execa. */
export class HostTarget implements Target {
  readonly name = 'host'
  readonly capabilities = { functionWorkloads: true }
  #root: string | undefined

  async release(): Promise<string> {
    return osRelease()
  }

  async ready(): Promise<void> {
    if (this.#root) return
    for (const dir of MOUNTS) {
      if (await exists(join(dir, 'trace'))) {
        this.#root = dir
        return
      }
    }
    if (process.getuid?.() !== 0) {
      throw new TracefsUnavailableError('tracefs is not available to this user: kspec records traces as root. Run it with sudo, or assert on saved traces with loadTrace(file).')
    }
    try {
      await exec('mount', ['-t', 'tracefs', 'nodev', MOUNTS[0]])
    } catch (e) {
      throw new TracefsUnavailableError(`tracefs is not mounted and mounting it failed: ${(e as Error).message}. Mount it yourself: mount -t tracefs nodev /sys/kernel/tracing (a kernel built without CONFIG_FTRACE has none).`, { cause: e })
    }
    this.#root = MOUNTS[0]
  }

  /** The tracefs directory, once ready(). */
  get root(): string {
    if (!this.#root) throw new Error('HostTarget: call ready() first')
    return this.#root
  }

  private path(p: string): string {
    return join(this.root, p)
  }

  read(p: string): Promise<string> {
    return fsCall(p, () => readFile(this.path(p), 'utf8'))
  }

  write(p: string, data: string): Promise<void> {
    return fsCall(p, () => writeFile(this.path(p), data))
  }

  append(p: string, data: string): Promise<void> {
    return fsCall(p, () => writeFile(this.path(p), data, { flag: 'a' }))
  }

  mkdir(p: string): Promise<void> {
    return fsCall(p, () => mkdir(this.path(p)).then(() => undefined))
  }

  rmdir(p: string): Promise<void> {
    return fsCall(p, () => rmdir(this.path(p)))
  }

  list(p: string): Promise<string[]> {
    return fsCall(p, () => readdir(this.path(p)))
  }

  exists(p: string): Promise<boolean> {
    return exists(this.path(p))
  }

  readSysctl(name: Sysctl): Promise<string | undefined> {
    return readFile(sysctlPath(name), 'utf8').catch((e) => {
      if ((e as { code?: string }).code === 'ENOENT') return undefined
      throw e
    })
  }

  writeSysctl(name: Sysctl, value: string): Promise<void> {
    return fsCall(sysctlPath(name), () => writeFile(sysctlPath(name), value))
  }

  readFile(absolutePath: string): Promise<Buffer> {
    return fsCall(absolutePath, () => readFile(absolutePath))
  }

  async *stream(p: string, signal: AbortSignal): AsyncIterable<Buffer> {
    // O_NONBLOCK: a blocking read of trace_pipe would pin a libuv thread until data came.
    const fh = await fsCall(p, () => open(this.path(p), constants.O_RDONLY | constants.O_NONBLOCK))
    const buf = Buffer.alloc(1 << 16)
    try {
      for (;;) {
        let n = 0
        try {
          n = (await fh.read(buf, 0, buf.length, null)).bytesRead
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
        }
        if (n > 0) yield Buffer.from(buf.subarray(0, n))
        else if (signal.aborted) return
        else await sleep(5)
      }
    } finally {
      await fh.close()
    }
  }

  spawner(): Promise<Spawner> {
    return hostSpawner()
  }

  async loadModule(name: string, params: string[]): Promise<void> {
    const before = await this.kernelLog().catch(() => '')
    try {
      await exec('modprobe', [name, ...params])
    } catch (e) {
      const after = await this.kernelLog().catch(() => '')
      throw moduleError(name, params, (e as Error).message, newKernelLines(before, after))
    }
  }

  async buildModule(source: string): Promise<string> {
    const build = `/lib/modules/${osRelease()}/build`
    if (!(await access(build).then(() => true, () => false))) throw new Error(`building ${source} for this machine's kernel needs its headers at ${build} (install linux-headers-${osRelease()}); or run it under QEMU: kspec run --kernel debian`)
    return buildModule(source, build)
  }

  async loadModuleFile(ko: string, params: string[]): Promise<string> {
    const name = moduleNameOf(await readFile(ko), ko)
    for (const dep of dependsOf(await readFile(ko))) await this.loadModule(dep, [])
    const before = await this.kernelLog().catch(() => '')
    await exec('insmod', [ko, ...params]).catch(async (e) => {
      throw moduleError(name, params, (e as Error).message, newKernelLines(before, await this.kernelLog().catch(() => '')))
    })
    this.#files.add(name)
    return name
  }

  /** Modules loaded from files: rmmod, not modprobe -r, unloads them. */
  readonly #files = new Set<string>()

  async unloadModule(name: string): Promise<void> {
    if (this.#files.delete(name)) await exec('rmmod', [name])
    else await exec('modprobe', ['-r', name])
  }

  async modules(): Promise<string[] | undefined> {
    return readFile('/proc/modules', 'utf8').then(moduleNames, () => undefined)
  }

  async kernelLog(): Promise<string> {
    // Non-blocking: /dev/kmsg never ends, it waits for the next record.
    const fh = await fsCall('/dev/kmsg', () => open('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK))
    const buf = Buffer.alloc(8192)
    const out: string[] = []
    try {
      for (;;) {
        try {
          const { bytesRead } = await fh.read(buf, 0, buf.length, null)
          if (bytesRead === 0) break
          out.push(buf.toString('utf8', 0, bytesRead))
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code
          // EPIPE: records were overwritten while reading; the next read goes on.
          if (code === 'EPIPE') continue
          if (code === 'EAGAIN') break
          throw e
        }
      }
    } finally {
      await fh.close()
    }
    return out.join('')
  }

  async tracefsPath(p: string): Promise<string> {
    await this.ready()
    return join(this.root, p)
  }

  async alive(pid: number): Promise<boolean> {
    return pidAlive(pid)
  }

  async writeNote(key: string, text: string): Promise<void> {
    await mkdir(NOTE_DIR, { recursive: true, mode: 0o700 })
    await writeFile(notePath(key), text, { mode: 0o600 })
  }

  async dropNote(key: string): Promise<void> {
    await unlink(notePath(key)).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)))
  }

  async notes(): Promise<{ key: string; text: string }[]> {
    const names = await readdir(NOTE_DIR).catch(() => [] as string[])
    const out: { key: string; text: string }[] = []
    for (const name of names) {
      const key = noteKeyOf(name)
      if (key === undefined) continue
      const text = await readFile(notePath(key), 'utf8').catch(() => undefined)
      if (text !== undefined) out.push({ key, text })
    }
    return out
  }

  async lock(name: string, timeoutMs: number): Promise<() => Promise<void>> {
    await mkdir(LOCK_DIR, { recursive: true })
    const file = join(LOCK_DIR, `${name}.lock`)
    const deadline = Date.now() + timeoutMs
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      try {
        await writeFile(file, String(process.pid), { flag: 'wx' })
        return async () => {
          await unlink(file).catch(() => {})
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      const holder = Number(await readFile(file, 'utf8').catch(() => ''))
      if (!Number.isInteger(holder) || holder <= 0 || !pidAlive(holder)) {
        // The holder died (kill -9): its lock is stale.
        await unlink(file).catch(() => {})
        continue
      }
      if (Date.now() > deadline) throw new TargetError(`the tracefs lock "${name}" is held by process ${holder} for more than ${timeoutMs} ms: another kspec run is using the same global tracing resource; wait for it or stop it`, 'ETIMEDOUT', file)
      await sleep(delay)
    }
  }

  async close(): Promise<void> {}
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p)
    return true
  } catch {
    return false
  }
}

/** fs errors become TargetErrors with the errno code and the tracefs-relative path. */
async function fsCall<T>(p: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    if (!err.code) throw e
    throw new TargetError(`${err.code}: ${p}`, err.code, p)
  }
}

