// npm run bench: parse throughput against trace-cmd on the same events, and call-tree
// building on the 108 MB function_graph capture. Ratios, never timed tests.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generate, LAYOUTS, withoutDuration } from './layouts.js'
import { hostCaptures, qemuCaptures } from './captures.js'
import { withHugePages } from '../dist/parse/huge-pages.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const BENCH = process.env.KSPEC_BENCH_DIR ?? join(here, '../../shared/traces/bench')
const RUNS = Number(process.env.KSPEC_BENCH_RUNS ?? 5)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const tmp = mkdtempSync(join(tmpdir(), 'kspec-bench-'))

function unzip(name) {
  const out = join(tmp, name.replace(/\.gz$/, ''))
  writeFileSync(out, gunzipSync(readFileSync(join(BENCH, name))))
  return out
}

/**
 * Every parse runs in a process started as kspec starts its test workers, where traces
 * load: with glibc's malloc asking for huge pages (the kspec/vitest plugin puts this in
 * their environment; src/parse/huge-pages.ts). Each row also says what a process without
 * it gets (a library user's own, unless they set it too).
 */
const WORKER = { GLIBC_TUNABLES: withHugePages(process.env.GLIBC_TUNABLES) }
const PLAIN = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }

/**
 * Median of RUNS parses, each in a fresh process (so peak RSS is its own). Each of `refs`
 * (name → a run that returns its ms) is run after each parse: `ref` holds its median and
 * `over` the median of each parse's time over its run right after it, under its name. A
 * reference then sees the same moments of this machine, whose speed drifts by ±20-30 %
 * over minutes.
 */
function measure(file, mode, env = {}, refs = {}, runsWanted = RUNS) {
  const runs = []
  const other = Object.fromEntries(Object.keys(refs).map((k) => [k, []]))
  for (let i = 0; i < runsWanted; i++) {
    const r = spawnSync(process.execPath, [join(here, 'parse-one.js'), file, mode], { encoding: 'utf8', env: { ...process.env, ...WORKER, ...env } })
    if (r.status !== 0) throw new Error(`bench: parsing ${file} failed:\n${r.stderr}`)
    runs.push(JSON.parse(r.stdout))
    for (const [k, run] of Object.entries(refs)) other[k].push(run())
  }
  const ms = median(runs.map((r) => r.ms))
  const ref = Object.fromEntries(Object.entries(other).map(([k, v]) => [k, median(v)]))
  // Each parse over the reference run right after it, the median of those: what drift
  // moves between one run and the next cancels in each pair.
  const over = Object.fromEntries(Object.entries(other).map(([k, v]) => [k, median(v.map((t, i) => runs[i].ms / t))]))
  return { ...runs[0], ms, objectsMs: median(runs.map((r) => r.objectsMs)), maxRssMB: Math.max(...runs.map((r) => r.maxRssMB)), ref, over }
}

function traceCmdRun(dat) {
  const t0 = performance.now()
  execFileSync('trace-cmd', ['report', '-i', dat], { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30 })
  return performance.now() - t0
}

const verdict = (ok) => (ok ? 'met' : 'MISSED')

try {
  const events = unzip('host-events-412k.txt.gz')
  const graph = unzip('qemu-graph-2.2M-lines.txt.gz')

  const dat = join(BENCH, 'host-events-412k.dat')
  const haveTraceCmd = existsSync(dat) && !spawnSync('trace-cmd', ['--version'], { stdio: 'ignore' }).error
  console.log(`every parse in a process started as kspec's test workers are: GLIBC_TUNABLES=${WORKER.GLIBC_TUNABLES} (huge pages)`)
  const vsTraceCmd = haveTraceCmd ? { traceCmd: () => traceCmdRun(dat) } : {}
  const e = measure(events, 'events', {}, vsTraceCmd)
  const plainE = measure(events, 'events', PLAIN, vsTraceCmd)
  const mbE = e.bytes / 1e6 / (e.ms / 1000)
  console.log(`events  ${e.records} records, ${e.fields} typed fields, ${(e.bytes / 1e6).toFixed(1)} MB: loaded (all parsed, fields typed) in ${e.ms.toFixed(0)} ms, ${mbE.toFixed(1)} MB/s, ${Math.round(e.records / (e.ms / 1000))} records/s, peak RSS ${e.maxRssMB.toFixed(0)} MB`)
  console.log(`events  then every record and its fields as objects: +${e.objectsMs.toFixed(0)} ms (made on access; queries make only those they return)`)
  const tc = e.ref.traceCmd
  // What no parser can go below: reading the text and finding its lines.
  const floor = measure(events, 'lines')
  if (tc === undefined) console.log('trace-cmd: not installed (apt-get install trace-cmd) — ratio not measured')
  else {
    // Each parse over the trace-cmd run right after it (the median of those pairs).
    const ratio = e.over.traceCmd
    console.log(`trace-cmd report -i host-events-412k.dat: ${tc.toFixed(0)} ms; kspec/trace-cmd = ${ratio.toFixed(2)} (target ≤ 0.33: ${verdict(ratio <= 0.33)}; ratio of the medians ${(e.ms / tc).toFixed(2)})`)
    console.log(`events  in a process without huge pages: ${plainE.ms.toFixed(0)} ms = ${plainE.over.traceCmd.toFixed(2)} × trace-cmd in the same runs`)
    console.log(`events  with every record made an object as well: ${((e.ms + e.objectsMs) / tc).toFixed(2)} × trace-cmd`)
    console.log(`events  reading the text and splitting its lines alone: ${floor.ms.toFixed(0)} ms = ${(floor.ms / tc).toFixed(2)} × trace-cmd`)
  }

  // With and without the reader worker (two cores: one parses lines, one builds trees).
  for (const [label, env] of [['one thread (the default for a plain file)', { KSPEC_PARSE_THREADS: '1' }], ['two threads (KSPEC_PARSE_THREADS=2; the default for a gzipped file)', { KSPEC_PARSE_THREADS: '2' }]]) {
    const g = measure(graph, 'graph', env)
    const mbG = g.bytes / 1e6 / (g.ms / 1000)
    if (g.objectCalls !== g.calls) throw new Error(`bench: ${g.calls} calls counted, ${g.objectCalls} made`)
    console.log(`graph   ${label}: ${g.calls} calls in ${g.roots} trees, ${(g.bytes / 1e6).toFixed(1)} MB: trees built in ${g.ms.toFixed(0)} ms, ${mbG.toFixed(1)} MB/s (target ≥ 100: ${verdict(mbG >= 100)}), ${Math.round(g.records / (g.ms / 1000))} records/s, peak RSS ${g.maxRssMB.toFixed(0)} MB (target ≤ 1536: ${verdict(g.maxRssMB <= 1536)}); every call then made an object: +${g.objectsMs.toFixed(0)} ms`)
  }

  // One row per layout kspec reads: no fast path for one layout and a slow path for the
  // rest. The texts are generated (bench/layouts.js builds each from a real capture's line
  // of that layout, varying times, pids and names), KSPEC_BENCH_LAYOUT_MB each (default 50).
  const layoutMB = Number(process.env.KSPEC_BENCH_LAYOUT_MB ?? 50)
  const rows = []
  // The rows are minutes apart, and this machine's speed drifts by more than the 2 × bound's
  // margin over minutes: each row's parses alternate with one of a fixed text (the generated
  // events layout), and rows are compared a byte by the median of each parse's time over
  // the reference's run right after it. (The ≥ 100 MB/s bound is on the row's own time.)
  const steadyFile = join(tmp, 'reference.txt')
  writeFileSync(steadyFile, generate('events default', layoutMB * 1e6))
  const steady = () => {
    const r = spawnSync(process.execPath, [join(here, 'parse-one.js'), steadyFile, 'events'], { encoding: 'utf8', env: { ...process.env, ...WORKER } })
    if (r.status !== 0) throw new Error(`bench: parsing the reference failed:\n${r.stderr}`)
    return JSON.parse(r.stdout).ms
  }
  const row = (layout, r, plain) => ({ layout, mbs: r.bytes / 1e6 / (r.ms / 1000), cost: r.over.steady / r.bytes, plainMbs: plain.bytes / 1e6 / (plain.ms / 1000), rss: r.maxRssMB, records: r.records, mb: r.bytes / 1e6, traceCmd: r.over.traceCmd })
  for (const layout of Object.keys(LAYOUTS)) {
    const file = join(tmp, `layout-${layout.replace(/\W+/g, '_')}.txt`)
    writeFileSync(file, generate(layout, layoutMB * 1e6))
    const r = measure(file, 'events', {}, { steady })
    const plain = measure(file, 'events', PLAIN, {}, 3)
    rmSync(file)
    rows.push(row(layout, r, plain))
  }
  // And the real captures, whole: the events and function_graph ones above, and the
  // function_graph one with its duration column removed (withoutDuration in layouts.js).
  const noDuration = join(tmp, 'graph-no-duration.txt')
  writeFileSync(noDuration, withoutDuration(readFileSync(graph, 'latin1')), 'latin1')
  const real = [['real: host events 412k', events], ['real: qemu function_graph 2.2M lines', graph], ['real, converted: the same, no duration', noDuration]]
  // And captures of each event layout recorded now, on this machine (bench/captures.js).
  // The function tracer's on Debian's kernel under QEMU (KSPEC_BENCH_QEMU=0 leaves them out: ~10 minutes under TCG).
  for (const [where, record] of [['host', hostCaptures], ['qemu', qemuCaptures]]) {
    if (where === 'qemu' && process.env.KSPEC_BENCH_QEMU === '0') {
      console.log('layout  qemu captures not recorded: KSPEC_BENCH_QEMU=0')
      continue
    }
    const t0 = performance.now()
    const caps = await record(tmp, layoutMB)
    if (caps.skipped) console.log(`layout  ${where} captures not recorded: ${caps.skipped}`)
    else console.log(`layout  ${where} captures recorded: ${caps.rows.length}, ≥ ${layoutMB} MB each, in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
    for (const { layout, file, dat } of caps.rows ?? []) real.push([layout, file, dat])
  }
  for (const [layout, file, dat] of real) {
    const r = measure(file, 'events', {}, dat && haveTraceCmd ? { steady, traceCmd: () => traceCmdRun(dat) } : { steady })
    const plain = measure(file, 'events', PLAIN, {}, 3)
    rows.push(row(layout, r, plain))
  }
  const fastest = Math.min(...rows.map((r) => r.cost))
  const rawFastest = Math.max(...rows.map((r) => r.mbs))
  console.log(`layout  "× the fastest": a row's time a byte over the fastest row's, each row's time taken as a multiple of the reference parse run right after each of its runs (the median of those); "raw": the same from the MB/s alone`)
  for (const r of rows) {
    const vs = r.traceCmd === undefined ? '' : `; ${r.traceCmd.toFixed(2)} × trace-cmd report on its .dat`
    const slower = r.cost / fastest
    console.log(`layout  ${r.layout.padEnd(40)} ${String(r.records).padStart(9)} records ${r.mb.toFixed(0).padStart(4)} MB ${r.mbs.toFixed(1).padStart(6)} MB/s (≥ 100: ${verdict(r.mbs >= 100)}; ${slower.toFixed(2)} × the fastest, ≤ 2: ${verdict(slower <= 2)}; raw ${(rawFastest / r.mbs).toFixed(2)} ×)  peak RSS ${r.rss.toFixed(0)} MB (≤ 1536: ${verdict(r.rss <= 1536)})${vs}; without huge pages ${r.plainMbs.toFixed(1)} MB/s`)
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
