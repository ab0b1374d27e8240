import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * kspec's temporary folders. kspec runs as root and the temporary folder is everyone's:
 * a name another user can guess (`/tmp/kspec/<pid>`) can be made first, with symlinks in
 * it, and root then writes through them. So every folder is a fresh `mkdtemp` (mode 0700,
 * a random name, created atomically), named `kspec-<kind>-<pid>-XXXXXX` so that a later
 * run can remove those of a process that is gone; files in them are created exclusively.
 */
export type TempKind = 'traces' | 'jobs' | 'junit' | 'vms'

const OURS = /^kspec-(traces|jobs|junit|vms)-(\d+)-[A-Za-z0-9]{6}$/

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A new private folder (0700, owned by this user) for this process. */
export function privateDir(kind: TempKind): Promise<string> {
  return mkdtemp(join(tmpdir(), `kspec-${kind}-${process.pid}-`))
}

/**
 * A folder the user named (KSPEC_TRACE_DIR): made 0700 if missing; refused unless it is a
 * real directory of this user that nobody else can write to.
 */
export async function checkedDir(path: string, what: string): Promise<string> {
  await mkdir(path, { recursive: true, mode: 0o700 })
  const st = await lstat(path)
  const uid = process.geteuid?.() ?? st.uid
  if (!st.isDirectory()) throw new Error(`${what} ${path} is not a directory (a symlink?): kspec writes traces as ${uid === 0 ? 'root' : 'this user'} and follows no links there; name a directory of your own`)
  if (st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw new Error(`${what} ${path} is owned by uid ${st.uid} with mode ${(st.mode & 0o777).toString(8)}: another user could plant links in it; use a directory owned by uid ${uid} that only it can write (chmod 700)`)
  }
  return path
}

/** In a traces folder: its process ended normally, and its traces are a run's output (JUnit attachments). */
export const KEPT = '.kept'

/**
 * Removes the temporary folders of kspec processes that are gone (kill -9, a crashed
 * worker): only real directories of this user with kspec's names, never a link.
 * `keepFinished` spares traces folders their process marked KEPT on a normal end: the
 * run that just ended still points at them (kept until the next run starts recording).
 */
export async function sweepPrivateDirs(options: { keepFinished?: boolean } = {}): Promise<string[]> {
  const root = tmpdir()
  const uid = process.geteuid?.()
  const removed: string[] = []
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const m = OURS.exec(name)
    if (!m || Number(m[2]) === process.pid || pidAlive(Number(m[2]))) continue
    const path = join(root, name)
    const st = await lstat(path).catch(() => undefined)
    if (!st?.isDirectory() || (uid !== undefined && st.uid !== uid)) continue
    if (options.keepFinished && m[1] === 'traces' && (await lstat(join(path, KEPT)).then(() => true, () => false))) continue
    await rm(path, { recursive: true, force: true })
    removed.push(path)
  }
  return removed
}

/**
 * Removes the temporary folder of the vitest that `kspec run` started (KSPEC_VITEST_TMP,
 * set by the summary reporter): vitest removes it when it closes, and a run ended by a
 * signal never closes. Only a folder right under the temporary folder, with vitest's
 * random name, is removed.
 */
export function removeVitestTmp(): void {
  const dir = process.env.KSPEC_VITEST_TMP
  if (!dir || dirname(dir) !== tmpdir() || !/^[\w-]{21}$/.test(basename(dir))) return
  rmSync(dir, { recursive: true, force: true })
}
