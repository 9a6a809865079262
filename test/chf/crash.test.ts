/**
 * kill -9 of the CHF under load, restart, reconcile: no lost or double charge, and no reservation
 * outlives its validity. The SMF side retries the request that was in flight at the kill (same body).
 */
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempSqlitePath } from '../helpers/store.ts'
import { openSqliteStore } from '../../store/index.ts'
import { chfServices, SETTINGS } from './fixtures.ts'
import { currentSession, liveMarkerOf } from '../../nf/chf/store.ts'

const PRICE_PER_MB = 5 // RG 2 in fixtures PLAN

describe('chf crash safety (kill -9 under load)', function () {
  this.timeout(120_000)

  it('after restart and reconcile, every reported MB is charged exactly once and balances add up', async () => {
    const { dir, file } = tempSqlitePath()
    const journal = join(dir, 'journal.jsonl')
    const supi = 'imsi-001010000000099'
    const opening = 10_000_000
    {
      const store = await openSqliteStore(file)
      const { accounts } = await chfServices(store)
      await accounts.create({ supi, plan: (await import('./fixtures.ts')).PLAN, openingBalance: opening })
      await store.close()
    }
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts'), file, journal, supi], { stdio: ['ignore', 'ignore', 'inherit'] })
    // let it run until a good number of updates have completed, then SIGKILL mid-flight
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 50))
      if (existsSync(journal) && readFileSync(journal, 'utf8').split('\n').filter((l) => l.includes('"done"')).length >= 300) break
    }
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))

    const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) } catch { return undefined } }).filter(Boolean)
    const sends = lines.filter((l: any) => l.kind === 'send')
    const lastSend = new Map<string, any>()
    const inflight = new Set<string>()
    for (const l of lines) {
      if (l.kind === 'send') {
        lastSend.set(l.ref, l)
        inflight.add(l.ref)
      } else if (l.kind === 'done') inflight.delete(l.ref)
    }

    const now = { t: Date.now() }
    const store = await openSqliteStore(file)
    const { charging, chf } = await chfServices(store, () => new Date(now.t))
    const markersBefore = (await chf.accounts.findOne({ _id: supi }))!.pendingOps
    const rolled = await charging.reconcile()
    // the SMF retries what was in flight (same body): charged once whether or not it was applied before the kill
    for (const ref of inflight) await charging.update(ref, lastSend.get(ref).body)
    // and replays one completed request per session for good measure: charges nothing
    for (const [ref, l] of lastSend) await charging.update(ref, l.body)

    const expected = sends.reduce((a: number, l: any) => a + l.mb * PRICE_PER_MB, 0)
    const acct = (await chf.getAccount(supi))!
    const rated = (await chf.rated.find({ supi })).reduce((a, r) => a + r.amount, 0)
    // a running session's current state is its row or, when newer, its live marker (rows are written behind)
    const sessions = (await chf.sessions.find({ supi })).map((row) => currentSession(row, acct))
    const heldMoney = sessions.reduce((a, s) => a + Object.values(s.rgs).reduce((b, r) => b + (r.reservation?.money ?? 0), 0), 0)
    console.log(`      crash: ${sends.length} updates sent, ${inflight.size} in flight at the kill, ${markersBefore} op markers found at restart (pending or completed, ${rolled} settled by reconcile), expected charge ${expected}, balance ${opening} → ${acct.balance}`)
    expect(rated).to.equal(expected)
    expect(acct.balance).to.equal(opening - expected)
    // markers left are only those of completed ops (removed lazily by the session's next op): one per session at most
    expect(acct.pendingOps).to.equal(Object.keys(acct.ops).length)
    for (const m of Object.values(acct.ops)) expect(liveMarkerOf(acct, m.ref)).to.equal(m)
    expect(acct.reserved).to.equal(heldMoney)
    expect(acct.available).to.equal(acct.balance - acct.reserved)

    // reservations do not outlive their validity: the sweeper releases them all
    now.t += (SETTINGS.quotaValidityTime + SETTINGS.expiryGrace + 1) * 1000
    await charging.expireReservations()
    const after = (await chf.getAccount(supi))!
    expect(after.reserved).to.equal(0)
    expect(after.balance).to.equal(opening - expected)
    await store.close()
  })
})
