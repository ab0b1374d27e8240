import type { Trace } from '../trace/trace.js'
import { describe, where } from './excerpt.js'
import { bounded, layout } from './layout.js'

/** No events were lost: no overwrite, no `[LOST n EVENTS]`, no cut-short file. */
export function formatComplete(trace: Trace, negated: boolean): string {
  const l = trace.loss
  const lost = trace.ofKind('lost')
  return layout(`expect(trace)${negated ? '.not' : ''}.toBeComplete()`, [
    { label: 'Expected', value: negated ? 'lost events' : 'no lost events' },
    { label: 'Received', value: trace.complete ? 'no lost events' : `${trace.lost} lost${l.droppedBlocks ? ` and ${l.droppedBlocks} dropped block(s)` : ''}` },
    ...(trace.header.entriesWritten !== undefined ? [{ label: 'Header', value: `entries-in-buffer/entries-written: ${trace.header.entriesInBuffer}/${trace.header.entriesWritten}` }] : []),
  ], lost.length ? ['Loss markers:', ...bounded(lost, (r, i) => `  ${i}: ${describe(r)}  (${where(r)})`)] : [], trace)
}
