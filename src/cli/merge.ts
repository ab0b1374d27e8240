import { writeFile } from 'node:fs/promises'
import { pathToFileURL, fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { UsageError } from './usage.js'

const JUNIT_REPORTER = fileURLToPath(new URL('../../reporters/junit.ts', import.meta.url))

/** `kspec merge-reports -o merged.xml a.xml b.xml …`: one JUnit file from the shards of a run. */
export async function mergeCommand(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } })
  } catch (e) {
    throw new UsageError((e as Error).message, 'usage: kspec merge-reports -o merged.xml shard-1.xml shard-2.xml …')
  }
  if (!args.values.output || args.positionals.length === 0) throw new UsageError('merge-reports needs an output and at least one input', 'usage: kspec merge-reports -o merged.xml shard-1.xml shard-2.xml …')
  // The reporter is TypeScript shipped beside dist/; vite's runner loads it as vitest does.
  const { createServer, createServerModuleRunner } = await import('vite')
  const server = await createServer({ logLevel: 'silent', server: { middlewareMode: true, hmr: false }, appType: 'custom' })
  try {
    const runner = createServerModuleRunner(server.environments.ssr, { hmr: false })
    const { mergeReports } = (await runner.import(pathToFileURL(JUNIT_REPORTER).href)) as { mergeReports: (files: string[]) => string }
    let xml: string
    try {
      xml = mergeReports(args.positionals)
    } catch (e) {
      throw new UsageError((e as Error).message, 'pass JUnit files that kspec run --reporter junit wrote')
    }
    await writeFile(args.values.output, xml)
    process.stdout.write(`merged ${args.positionals.length} report(s) into ${args.values.output}\n`)
    return 0
  } finally {
    await server.close()
  }
}
