import { expect } from 'chai'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { defaultConfig } from '../../config/defaults.ts'
import { validateConfig } from '../../config/validate.ts'
import type { MvnoConfig } from '../../config/schema.ts'
import { startPlatform, type Platform } from '../../cli/platform.ts'
import { openTestStore, mongoAvailable } from '../helpers/store.ts'
import type { DocumentStore } from '../../store/port.ts'
import { runJourney, startWebhookReceiver, type WebhookReceiver } from './journey.ts'

for (const kind of ['sqlite', 'mongodb'] as const) {
  describe(`the subscriber journey, end to end (${kind === 'sqlite' ? 'embedded store' : 'MongoDB'})`, function () {
    this.timeout(180000)
    let platform: Platform
    let store: DocumentStore
    let webhook: WebhookReceiver
    let config: MvnoConfig
    let cdrDir: string

    before(async function () {
      if (kind === 'mongodb' && !mongoAvailable()) {
        console.log('    journey on MongoDB skipped: MONGODB_URI is not set')
        this.skip()
      }
      const dir = mkdtempSync(path.join(tmpdir(), 'mvno-journey-'))
      cdrDir = path.join(dir, 'cdr')
      webhook = await startWebhookReceiver()
      const base = defaultConfig()
      config = validateConfig({
        ...base,
        dataDir: dir,
        udr: { port: 0 },
        udm: { ...base.udm, port: 0 },
        pcf: { ...base.pcf, port: 0 },
        chf: { ...base.chf, port: 0, cdrDir },
        bss: { ...base.bss, port: 0, webhookUrl: webhook.url },
        grpc: { ...base.grpc, port: 0 },
        outbox: { expiresInMs: 600000, pollMs: 50 },
        log: { level: 'silent' },
      })
      store = await openTestStore(kind)
      platform = await startPlatform({ config, store, log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) })
    })

    after(async () => {
      await platform?.stop()
      await store?.close()
      await webhook?.close()
    })

    it('orders, attaches, uses, is throttled, is cared for, tops up, upgrades, releases and is billed', async () => {
      const url = (nf: string) => platform.nfs.find((x) => x.name === nf)!.url
      const lines: string[] = []
      const result = await runJourney(
        { bss: url('bss'), udm: url('udm'), pcf: url('pcf'), chf: url('chf'), config, cdrDir, webhook },
        { chapter: (n, t) => lines.push(`${n}. ${t}`), say: (l) => lines.push(`   ${l}`), verified: (w) => lines.push(`   ✓ ${w}`) },
      ).catch((err) => {
        console.log(lines.join('\n'))
        throw err
      })
      expect(result.verified.length).to.be.greaterThan(40)
    })
  })
}
