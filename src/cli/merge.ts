import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { mergeReports } from '../report/junit-xml.js'
import { UsageError } from './usage.js'

/** `kspec merge-reports -o merged.xml a.xml b.xml …`: one JUnit file from the shards of a run. */
export async function mergeCommand(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } })
  } catch (e) {
    throw new UsageError((e as Error).message, 'usage: kspec merge-reports -o merged.xml shard-1.xml shard-2.xml …')
  }
  if (!args.values.output || args.positionals.length === 0) throw new UsageError('merge-reports needs an output and at least one input', 'usage: kspec merge-reports -o merged.xml shard-1.xml shard-2.xml …')
  let xml: string
  try {
    xml = mergeReports(args.positionals)
  } catch (e) {
    throw new UsageError((e as Error).message, 'pass JUnit files that kspec run --reporter junit wrote')
  }
  await writeFile(args.values.output, xml)
  process.stdout.write(`merged ${args.positionals.length} report(s) into ${args.values.output}\n`)
  return 0
}
