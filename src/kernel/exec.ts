import type { Options, Result } from 'execa'

/**
 * The one way kspec runs a subprocess. A non-zero exit that is data (`reject: false`)
 * comes back as a result; anything else is rethrown with the command and its output.
 * @example await exec('uname', ['-r'])
 */
export async function exec(file: string, args: string[], options: Options = {}): Promise<Result> {
  try {
    // Loaded on first use: execa is ~0.1 s of importing kspec, paid by every spec file's worker, most of which never run a command through it.
    const { execa } = await import('execa')
    return await execa(file, args, { stripFinalNewline: true, ...options })
  } catch (e) {
    const err = e as Error & { shortMessage?: string; stderr?: string }
    throw new Error(`${err.shortMessage ?? err.message}${err.stderr ? `\n${err.stderr}` : ''}`, { cause: e })
  }
}

/**
 * A command line that the kernel ends (with `signal`) when kspec dies without a chance to
 * end it itself (kill -9): `setpriv --pdeathsig`, where util-linux has it.
 * @example spawn(...orphanProof('perl', ['-e', script], 'TERM'))
 */
export async function orphanProof(file: string, args: string[], signal: 'KILL' | 'TERM'): Promise<[string, string[]]> {
  const { access } = await import('node:fs/promises')
  const has = await access('/usr/bin/setpriv').then(() => true, () => false)
  return has ? ['setpriv', ['--pdeathsig', signal, file, ...args]] : [file, args]
}
