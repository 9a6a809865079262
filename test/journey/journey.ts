/**
 * The subscriber journey (issue 8): one prepaid subscriber from order to bill, with the host network's
 * AUSF, AMF and SMF played by this harness. Every SBI request is the shape free5GC's or Open5GS's NF
 * sends (named per call; INTEROP.md §1, §7), over real HTTP/2; the callbacks our NFs send back (SM
 * policy update-notify, CHF charging notify, SDM and AM-policy notifications) arrive at fake AMF/SMF
 * servers and are checked. Used by test/journey/journey.test.ts and by the demo (npm run demo).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'
import pino from 'pino'
import type { MvnoConfig } from '../../config/schema.ts'
import { createSbiClient } from '../../nf/sbi/client.ts'
import type { SbiClientResponse } from '../../nf/sbi/ports.ts'
import { ueAuthenticate } from '../../nf/udm/domain/auth-vectors.ts'
import { eciesEncrypt, encodeBcdMsin, x25519PublicOf } from '../../nf/udm/domain/suci.ts'
import { servingNetworkName } from '../../nf/udm/domain/kdf.ts'
import { startFakePeer, type FakePeer, type RecordedRequest } from '../helpers/h2.ts'

export interface JourneyTargets {
  bss: string
  udm: string
  pcf: string
  chf: string
  config: MvnoConfig
  /** Folder of the CHF's CDR files (to check the CDR after release). */
  cdrDir: string
  /** The SMS/e-mail gateway the BSS's webhook outbox posts to (config.bss.webhookUrl), when the harness runs it. */
  webhook?: WebhookReceiver
}

export interface Narrator {
  chapter(n: number, title: string): void
  /** One line of what was sent or received. */
  say(line: string): void
  /** A check that held. */
  verified(what: string): void
}

export class JourneyCheckFailed extends Error {}

const MB = 1024 * 1024
const GB = 1024 * MB

export async function runJourney(t: JourneyTargets, n: Narrator): Promise<{ verified: string[] }> {
  const verified: string[] = []
  const check = (cond: unknown, what: string, detail?: unknown) => {
    if (!cond) throw new JourneyCheckFailed(`${what}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`)
    verified.push(what)
    n.verified(what)
  }
  const log = pino({ level: 'silent' })
  const sbi = createSbiClient({ log, timeoutMs: 10000 })
  const { mcc, mnc } = t.config.plmn
  const mnc3 = mnc.padStart(3, '0')
  const plmnId = { mcc, mnc }
  const snssai = t.config.snssais[0]!
  const dnn = t.config.dnns[0]!
  const snn = servingNetworkName(mcc, mnc)
  const run = randomBytes(3).toString('hex')

  // The host network's NFs, as far as our NFs call them back.
  const amf = await startFakePeer()
  const smf = await startFakePeer()
  const stopAll = async () => {
    await sbi.close()
    await amf.close()
    await smf.close()
  }

  try {
    // ---------------------------------------------------------------- BSS credentials
    const secret = new TextEncoder().encode(t.config.bss.jwtSecret)
    const token = (role: string, sub: string) =>
      new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('1h').sign(secret)
    const admin = await token('admin', 'journey-admin')
    const care = await token('care', 'agent-alice')
    const bss = async (method: string, p: string, bearer: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${t.bss}${p}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await res.text()
      let json: any
      try {
        json = text ? JSON.parse(text) : undefined
      } catch {
        json = text
      }
      return { status: res.status, body: json }
    }
    const call = async <T = any>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', uri: string, body?: unknown, contentType?: string): Promise<SbiClientResponse<T>> =>
      sbi.request<T>({ method, uri, body, contentType })

    // ================================================================ 1. Ordering
    n.chapter(1, 'A customer orders a prepaid plan with 1 GB and a small balance')
    const planId = `prepaid-1gb-${run}`
    const upgradeId = `prepaid-10gb-${run}`
    const normal = { ambrUl: '50 Mbps', ambrDl: '100 Mbps', fiveQi: 9, arpPriorityLevel: 8 }
    const throttled = { ambrUl: '1 Mbps', ambrDl: '1 Mbps', fiveQi: 9 }
    const plan = {
      id: planId,
      name: 'Prepaid 1 GB',
      paymentType: 'prepaid',
      currency: 'EUR',
      openingBalance: 300,
      lowBalanceThreshold: 100,
      allowances: [{ name: '1 GB data', ratingGroup: 10, unit: 'VOLUME', amount: GB, validity: 'P30D' }],
      tariffs: [{ ratingGroup: 10, unit: 'VOLUME', price: 100, unitSize: MB }],
      policy: { normal, exhausted: throttled, finalUnitAction: 'REDIRECT', redirectUrl: 'http://topup.mvno.example/' },
    }
    let r = await bss('POST', '/productCatalogManagement/v4/productOffering', admin, plan)
    check(r.status === 201, 'BSS: plan "Prepaid 1 GB" created in the catalogue (TMF620)', r.body)
    r = await bss('POST', '/productCatalogManagement/v4/productOffering', admin, {
      ...plan,
      id: upgradeId,
      name: 'Prepaid 10 GB',
      allowances: [{ name: '10 GB data', ratingGroup: 10, unit: 'VOLUME', amount: 10 * GB, validity: 'P30D' }],
      policy: { ...plan.policy, normal: { ...normal, ambrUl: '100 Mbps', ambrDl: '300 Mbps' } },
    })
    check(r.status === 201, 'BSS: upgrade plan "Prepaid 10 GB" created', r.body)
    n.say(`plan ${planId}: 1 GB on rating group 10, then 1.00 EUR/MB from a 3.00 EUR balance; 50/100 Mbps, 1 Mbps when nothing is left`)

    const msisdnBase = `4479${String(parseInt(run, 16) % 1_000_000).padStart(6, '0')}`
    r = await bss('POST', '/resourceInventory/v1/msisdnRange', admin, { from: `${msisdnBase}00`, to: `${msisdnBase}09` })
    check(r.status === 201, 'BSS: MSISDN range added to the pool', r.body)

    // The eSIM vendor's file: the harness keeps K/OPc to play the UE; the BSS never shows them again.
    const msin = String(parseInt(run, 16)).padStart(10, '0').slice(-10)
    const imsi = `${mcc}${mnc}${msin}`
    const k = randomBytes(16)
    const opc = randomBytes(16)
    const iccid = `8999${msin}${String(Math.floor(Math.random() * 100000)).padStart(5, '0')}`.slice(0, 19)
    r = await bss('POST', `/resourceInventory/v1/sim/import?type=esim&smdp=smdp.mvno.example`, admin, { sims: [{ iccid, imsi, k: k.toString('hex'), opc: opc.toString('hex') }] })
    check((r.status === 200 || r.status === 201) && r.body.imported === 1, 'BSS: eSIM profile imported from the vendor file', r.body)
    r = await bss('GET', `/resourceInventory/v1/sim/${iccid}`, admin)
    check(r.status === 200 && !JSON.stringify(r.body).toLowerCase().includes(k.toString('hex')) && !JSON.stringify(r.body).toLowerCase().includes(opc.toString('hex')), 'BSS: K and OPc are never shown again', r.body)

    r = await bss('POST', '/customerManagement/v4/customer', admin, { name: 'Ada Lovelace', email: `ada.${run}@example.com` })
    check(r.status === 201, 'BSS: customer created (TMF629)', r.body)
    const customerId = r.body.id as string
    r = await bss('POST', '/productOrderingManagement/v4/productOrder', admin, {
      customerId,
      productOrderItem: [{ action: 'add', productOffering: { id: planId }, simType: 'esim', iccid }],
    }, { 'idempotency-key': `journey-${run}` })
    check(r.status === 201 || r.status === 202, 'BSS: new-subscription order accepted (TMF622)', r.body)
    const order = await waitForOrder(bss, admin, r.body.id)
    check(order.state === 'completed', 'BSS: order completed: MSISDN and eSIM allocated, UDR, PCF data and CHF account provisioned', order)
    const productId = order.product.id as string
    r = await bss('GET', `/productInventory/v4/product/${productId}`, admin)
    const product = r.body
    const supi = product.supi as string
    const msisdn = product.msisdn as string
    check(supi === `imsi-${imsi}`, 'BSS: the subscription carries the SUPI of the eSIM', product)
    check(typeof product.activationCode === 'string' && product.activationCode.startsWith('LPA:1$'), 'BSS: the eSIM has an LPA activation code', product.activationCode)
    n.say(`order ${order.id}: ${supi}, MSISDN ${msisdn}, eSIM ${iccid}, ${product.activationCode}`)
    r = await bss('GET', `/productInventory/v4/product/${productId}/balance`, admin)
    check(r.status === 200, 'BSS: balance view from the CHF (TMF654)', r.body)
    n.say(`balance: ${summariseBalance(r.body)}`)

    // ================================================================ 2. First attach
    n.chapter(2, 'First attach: authentication with a Profile A SUCI, registration, access policy')
    const hnKey = t.config.udm.suciKeys.find((x) => x.profile === 'A')
    if (!hnKey) throw new JourneyCheckFailed('config.udm.suciKeys has no Profile A key')
    const hnPub = x25519PublicOf(Buffer.from(hnKey.privateKey, 'hex'))
    const schemeOutput = eciesEncrypt('A', hnPub, randomBytes(32), encodeBcdMsin(msin))
    const suci = `suci-0-${mcc}-${mnc}-0000-1-${hnKey.id}-${schemeOutput}`
    n.say(`UE conceals its SUPI: ${suci.slice(0, 48)}…`)
    // Open5GS AUSF (src/ausf/nudm-build.c): the AMF's SUCI in the path.
    let res = await call<any>('POST', `${t.udm}/nudm-ueau/v1/${suci}/security-information/generate-auth-data`, { servingNetworkName: snn, ausfInstanceId: randomUUID() })
    check(res.status === 200, 'UDM: generate-auth-data answers 200 for a Profile A SUCI (AUSF, Open5GS shape)', res.body ?? res.problem)
    const av = res.body.authenticationVector
    check(res.body.authType === '5G_AKA' && res.body.supi === supi && av.avType === '5G_HE_AKA', 'UDM: SUCI de-concealed to the right SUPI, 5G_HE_AKA vector', res.body)
    const ue = ueAuthenticate(k, opc, Buffer.from(av.rand, 'hex'), Buffer.from(av.autn, 'hex'), snn)
    check(ue.ok, 'UE: AUTN verified with Milenage from the eSIM K/OPc (MAC-A matches)', ue)
    if (!ue.ok) throw new JourneyCheckFailed('unreachable')
    check(ue.resStar.toString('hex') === String(av.xresStar).toLowerCase(), 'UE: RES* equals the UDM\'s XRES*', { res: ue.resStar.toString('hex'), xres: av.xresStar })
    check(ue.kausf.toString('hex') === String(av.kausf).toLowerCase(), 'UE: KAUSF equals the UDM\'s KAUSF')
    n.say(`SQN ${ue.sqn.toString(16).padStart(12, '0')}, RES* ${ue.resStar.toString('hex').slice(0, 16)}…`)
    res = await call('POST', `${t.udm}/nudm-ueau/v1/${supi}/auth-events`, { nfInstanceId: randomUUID(), success: true, timeStamp: new Date().toISOString(), authType: '5G_AKA', servingNetworkName: snn })
    check(res.status === 201 && typeof res.headers.location === 'string', 'UDM: auth-events 201 + Location (AUSF confirmation)', res.body ?? res.problem)

    // free5GC AMF (amf:internal/sbi/consumer/udm_service.go): UECM, SDM, AM policy.
    const amfId = randomUUID()
    const guami = { plmnId, amfId: 'cafe00' }
    res = await call('PUT', `${t.udm}/nudm-uecm/v1/${supi}/registrations/amf-3gpp-access`, {
      amfInstanceId: amfId,
      deregCallbackUri: `${amf.url}/namf-callback/v1/${supi}/dereg-notify`,
      guami,
      ratType: 'NR',
      initialRegistrationInd: true,
    })
    check(res.status === 201, 'UDM: UECM amf-3gpp-access registration 201', res.body ?? res.problem)
    res = await call<any>('GET', `${t.udm}/nudm-sdm/v2/${supi}/am-data?plmn-id=${encodeURIComponent(JSON.stringify(plmnId))}`)
    check(res.status === 200 && res.body.gpsis?.includes(`msisdn-${msisdn}`) && res.body.nssai?.defaultSingleNssais?.length, 'UDM: SDM am-data carries the MSISDN as GPSI and the NSSAI', res.body ?? res.problem)
    n.say(`am-data: gpsis ${JSON.stringify(res.body.gpsis)}, UE-AMBR ${JSON.stringify(res.body.subscribedUeAmbr)}`)
    res = await call<any>('GET', `${t.udm}/nudm-sdm/v2/${supi}/smf-select-data?plmn-id=${encodeURIComponent(JSON.stringify(plmnId))}`)
    const keyF5 = snssai.sst.toString(16).padStart(2, '0') + (snssai.sd ?? '')
    check(res.status === 200 && res.body.subscribedSnssaiInfos?.[keyF5]?.dnnInfos?.some((d: any) => d.dnn === dnn), `UDM: smf-select-data lists DNN ${dnn} for the slice`, res.body ?? res.problem)
    res = await call('POST', `${t.udm}/nudm-sdm/v2/${supi}/sdm-subscriptions`, {
      nfInstanceId: amfId,
      callbackReference: `${amf.url}/namf-callback/v1/${supi}/sdm-subscription`,
      monitoredResourceUris: [`${supi}/am-data`],
      plmnId,
    })
    check(res.status === 201 && typeof res.headers.location === 'string', 'UDM: SDM subscription 201 + Location', res.body ?? res.problem)
    res = await call<any>('POST', `${t.pcf}/npcf-am-policy-control/v1/policies`, {
      notificationUri: `${amf.url}/namf-callback/v1/am-policy/`,
      supi,
      gpsi: `msisdn-${msisdn}`,
      accessType: '3GPP_ACCESS',
      pei: 'imeisv-4370816125816151',
      servingPlmn: plmnId,
      guami,
      suppFeat: '0',
    })
    check(res.status === 201 && typeof res.headers.location === 'string' && res.body?.suppFeat !== undefined, 'PCF: AM policy association 201 + Location + suppFeat', res.body ?? res.problem)
    const amPolicyUri = String(res.headers.location)

    // ================================================================ 3. Session and usage
    n.chapter(3, 'A PDU session: policy, charging, usage until nothing is left')
    res = await call<any>('GET', `${t.udm}/nudm-sdm/v2/${supi}/sm-data?single-nssai=${encodeURIComponent(JSON.stringify(snssai))}&dnn=${dnn}`)
    const smData = Array.isArray(res.body) ? res.body[0] : res.body
    check(res.status === 200 && smData?.dnnConfigurations?.[dnn]?.sessionAmbr, 'UDM: SDM sm-data for the slice and DNN (session AMBR, 5QI)', res.body ?? res.problem)
    const dnnConf = smData.dnnConfigurations[dnn]
    const smContextRef = `urn:uuid:${randomUUID()}`
    // free5GC SMF (smf:internal/sbi/processor/pdu_session.go) SmPolicyContextData.
    res = await call<any>('POST', `${t.pcf}/npcf-smpolicycontrol/v1/sm-policies`, {
      supi,
      pduSessionId: 1,
      dnn,
      notificationUri: `${smf.url}/nsmf-callback/sm-policies/${smContextRef}`,
      pduSessionType: 'IPV4',
      accessType: '3GPP_ACCESS',
      ratType: 'NR',
      ipv4Address: '10.60.0.1',
      gpsi: `msisdn-${msisdn}`,
      subsSessAmbr: dnnConf.sessionAmbr,
      subsDefQos: { '5qi': dnnConf['5gQosProfile']?.['5qi'] ?? 9, arp: dnnConf['5gQosProfile']?.arp ?? { priorityLevel: 8, preemptCap: 'NOT_PREEMPT', preemptVuln: 'NOT_PREEMPTABLE' }, priorityLevel: 8 },
      sliceInfo: snssai,
      servingNetwork: plmnId,
      suppFeat: 'F',
    })
    check(res.status === 201 && /\/npcf-smpolicycontrol\/v1\/sm-policies\//.test(String(res.headers.location)), 'PCF: SM policy association 201 with an absolute Location', res.body ?? res.problem)
    const smPolicyUri = String(res.headers.location)
    const decision = res.body
    const sessRule: any = Object.values(decision.sessRules ?? {})[0]
    check(sessRule?.authSessAmbr?.downlink === normal.ambrDl && sessRule?.authDefQos?.['5qi'] === 9, `PCF: session AMBR ${normal.ambrUl}/${normal.ambrDl} and default 5QI 9 from the plan`, sessRule)
    const chg: any = Object.values(decision.chgDecs ?? {})[0]
    check(chg?.ratingGroup === 10 && chg?.online === true, 'PCF: charging decision: rating group 10, online', decision.chgDecs)
    check((decision.policyCtrlReqTriggers ?? []).includes('SE_AMBR_CH'), 'PCF: SE_AMBR_CH trigger (so Open5GS applies the AMBR)', decision.policyCtrlReqTriggers)

    // free5GC SMF (smf:internal/sbi/consumer/chf_service.go): create without usage.
    const chargingBase = {
      subscriberIdentifier: supi,
      nfConsumerIdentification: { nodeFunctionality: 'SMF', nFName: randomUUID(), nFIPv4Address: '127.0.0.2' },
      invocationSequenceNumber: 0,
      notifyUri: `${smf.url}/nsmf-callback/notify_${smContextRef}`,
      pDUSessionChargingInformation: {
        chargingId: 1,
        userInformation: { servedGPSI: `msisdn-${msisdn}`, servedPEI: 'imeisv-4370816125816151' },
        pduSessionInformation: { pduSessionID: 1, networkSlicingInfo: { sNSSAI: snssai }, pduType: 'IPV4', servingNetworkFunctionID: { servingNetworkFunctionInformation: { nodeFunctionality: 'SMF' } }, dnnId: dnn, ratType: 'NR', servingCNPlmnId: plmnId },
      },
    }
    res = await call('POST', `${t.chf}/nchf-convergedcharging/v3/chargingdata`, { ...chargingBase, chargingId: 1, invocationTimeStamp: new Date().toISOString() })
    check(res.status === 201 && res.headers.location, 'CHF: converged-charging session 201 + Location', res.body ?? res.problem)
    const chargingRef = String(res.headers.location).split('/').pop()!
    const upfId = randomUUID()
    let lsn = 0
    const update = async (used: number | undefined, requested: number, trigger = 'QUOTA_EXHAUSTED') => {
      const now = new Date().toISOString()
      const mu: any = { ratingGroup: 10, uPFID: upfId, requestedUnit: { totalVolume: requested, uplinkVolume: requested, downlinkVolume: requested } }
      if (used !== undefined) {
        lsn++
        mu.usedUnitContainer = [{
          quotaManagementIndicator: 'ONLINE_CHARGING',
          triggers: [{ triggerType: trigger, triggerCategory: 'IMMEDIATE_REPORT' }],
          triggerTimestamp: now,
          uplinkVolume: Math.floor(used / 10),
          downlinkVolume: used - Math.floor(used / 10),
          totalVolume: used,
          localSequenceNumber: lsn,
        }]
      }
      return call<any>('POST', `${t.chf}/nchf-convergedcharging/v3/chargingdata/${chargingRef}/update`, { ...chargingBase, chargingId: 1, invocationTimeStamp: now, multipleUnitUsage: [mu], triggers: [] })
    }
    const REQUEST = 300 * MB // the SMF's requestedUnit (free5GC smfcfg.yaml requestedUnit, set to 300 MB here)
    res = await update(undefined, REQUEST)
    let mui = res.body?.multipleUnitInformation?.[0]
    check(res.status === 200 && mui?.grantedUnit?.totalVolume > 0 && mui?.uPFID === upfId, 'CHF: first grant with uPFID echoed (what free5GC\'s SMF needs)', res.body ?? res.problem)
    let granted = mui.grantedUnit.totalVolume as number
    let reported = 0
    let rounds = 0
    let exhausted: any
    n.say(`round 0: granted ${fmtBytes(granted)}`)
    while (rounds < 30) {
      rounds++
      reported += granted
      res = await update(granted, REQUEST)
      check(res.status === 200, `CHF: update round ${rounds} answered`, res.body ?? res.problem)
      mui = res.body.multipleUnitInformation?.[0]
      granted = mui?.grantedUnit?.totalVolume ?? 0
      n.say(`round ${rounds}: reported ${fmtBytes(reported)} in all, granted ${fmtBytes(granted)}${mui?.finalUnitIndication ? `, finalUnitIndication ${mui.finalUnitIndication.finalUnitAction}` : ''}`)
      if (mui?.finalUnitIndication || granted === 0) {
        exhausted = mui
        if (granted === 0) break
      }
    }
    check(exhausted?.finalUnitIndication?.finalUnitAction === 'REDIRECT', 'CHF: final-unit indication REDIRECT when bundle and balance are used up', exhausted)
    check(reported >= GB, 'CHF: the whole 1 GB bundle and the balance were granted before exhaustion', reported)
    // Drain the last granted units then get the zero grant free5GC understands.
    if (granted > 0) {
      reported += granted
      res = await update(granted, REQUEST)
      mui = res.body.multipleUnitInformation?.[0]
    }
    check((mui?.grantedUnit?.totalVolume ?? 0) === 0 && (mui?.triggers ?? []).some((x: any) => x.triggerType === 'QUOTA_EXHAUSTED'), 'CHF: zero grant with the QUOTA_EXHAUSTED trigger (free5GC never reads finalUnitIndication)', mui)
    const throttle = await smf.waitFor((q) => isPolicyUpdate(q, smContextRef, throttled.ambrDl), 5000).catch(() => undefined)
    check(throttle, `PCF: spending limit exhausted → update-notify to the SMF throttles the session to ${throttled.ambrDl}`, smf.requests.map(describe))
    n.say(`SMF got POST ${throttle!.path} with authSessAmbr ${JSON.stringify(sessAmbrOf(throttle!))}`)

    // ================================================================ 4. Customer care
    n.chapter(4, 'Customer care: history, a goodwill credit, a message')
    r = await bss('GET', `/productInventory/v4/product/${productId}/event?limit=200`, care)
    check(r.status === 200 && Array.isArray(r.body), 'BSS: care sees the event history', r.body)
    const types = new Set((r.body as any[]).map((e) => e.type ?? e.eventType))
    n.say(`event types: ${[...types].sort().join(', ')}`)
    check([...types].some((x) => String(x).includes('order')) && [...types].some((x) => /quota|usage|rated/.test(String(x))), 'BSS: history has the order and the usage/quota events', [...types])
    r = await bss('GET', `/productInventory/v4/product/${productId}/usage?limit=200`, care)
    check(r.status === 200 && Array.isArray(r.body) && r.body.length > 0, 'BSS: rated usage per rating group is visible to care', r.body)
    const charged = (r.body as any[]).reduce((a, u) => a + Number(u.amount ?? 0), 0)
    n.say(`rated usage: ${(r.body as any[]).length} records, ${charged} minor units charged`)
    r = await bss('POST', '/prepayBalanceManagement/v4/adjustBalance', care, { product: { id: productId }, amount: { value: 50, unit: 'EUR' }, reason: 'goodwill: slow speeds reported' })
    check(r.status === 201, 'BSS: care applies a 0.50 EUR credit with a reason', r.body)
    r = await bss('GET', `/prepayBalanceManagement/v4/adjustBalance?product.id=${productId}`, care)
    r = await bss('POST', '/communicationManagement/v4/communicationMessage', care, {
      messageType: 'SMS',
      content: 'We added 0.50 EUR to your balance. Sorry for the slow speeds!',
      receiver: [{ phoneNumber: msisdn }],
      product: { id: productId },
    })
    check(r.status === 201, 'BSS: an SMS notification is queued', r.body)
    if (t.webhook) {
      const sms = await t.webhook.waitFor((b) => JSON.stringify(b).includes('Sorry for the slow speeds'), 10000).catch(() => undefined)
      check(sms, 'BSS: the SMS went out through the webhook outbox to the SMS gateway')
    }

    // ================================================================ 5. Top-up and plan change
    n.chapter(5, 'A top-up brings data back; a self-service upgrade takes effect at once')
    smf.requests.length = 0
    r = await bss('POST', '/prepayBalanceManagement/v4/topupBalance', admin, { product: { id: productId }, amount: { value: 1000, unit: 'EUR' }, reference: `voucher-${run}` }, { 'idempotency-key': `topup-${run}` })
    check(r.status === 201, 'BSS: 10.00 EUR top-up accepted', r.body)
    const reauth = await smf.waitFor((q) => q.path === `/nsmf-callback/notify_${smContextRef}` && q.body?.notificationType === 'REAUTHORIZATION', 5000).catch(() => undefined)
    check(reauth, 'CHF: ChargingNotify REAUTHORIZATION to the SMF', smf.requests.map(describe))
    const restored = await smf.waitFor((q) => isPolicyUpdate(q, smContextRef, normal.ambrDl), 5000).catch(() => undefined)
    check(restored, `PCF: update-notify restores the normal ${normal.ambrDl}`, smf.requests.map(describe))
    res = await update(0, REQUEST, 'QUOTA_EXHAUSTED')
    mui = res.body?.multipleUnitInformation?.[0]
    check(mui?.grantedUnit?.totalVolume > 0, 'CHF: quota granted again from the topped-up balance', mui)
    granted = mui.grantedUnit.totalVolume

    smf.requests.length = 0
    const customerToken = await token('selfcare', customerId)
    r = await bss('POST', '/productOrderingManagement/v4/productOrder', customerToken, {
      productOrderItem: [{ action: 'modify', product: { id: productId }, productOffering: { id: upgradeId } }],
    }, { 'idempotency-key': `upgrade-${run}` })
    check(r.status === 201 || r.status === 202, 'BSS: the customer orders the 10 GB upgrade (selfcare)', r.body)
    const change = await waitForOrder(bss, admin, r.body.id)
    check(change.state === 'completed', 'BSS: plan change completed', change)
    const upgraded = await smf.waitFor((q) => isPolicyUpdate(q, smContextRef, '300 Mbps'), 5000).catch(() => undefined)
    check(upgraded, 'PCF: update-notify with the new AMBR 100/300 Mbps on the live session', smf.requests.map(describe))
    r = await bss('GET', `/productInventory/v4/product/${productId}/balance`, admin)
    const before = moneyOf(r.body)
    reported += granted
    res = await update(granted, REQUEST)
    mui = res.body?.multipleUnitInformation?.[0]
    check(mui?.grantedUnit?.totalVolume > 0, 'CHF: grants from the new 10 GB bundle', mui)
    granted = mui.grantedUnit.totalVolume
    reported += granted
    res = await update(granted, REQUEST)
    r = await bss('GET', `/productInventory/v4/product/${productId}/balance`, admin)
    n.say(`balance after the upgrade: ${summariseBalance(r.body)}`)
    check(moneyOf(r.body) === before, 'CHF: usage now comes out of the bundle, not the balance', { before, after: moneyOf(r.body) })

    // ================================================================ 6. Release and bill
    n.chapter(6, 'Release, the CDR, and the statement')
    const finalUsed = res.body?.multipleUnitInformation?.[0]?.grantedUnit?.totalVolume ?? 0
    reported += finalUsed
    lsn++
    res = await call('POST', `${t.chf}/nchf-convergedcharging/v3/chargingdata/${chargingRef}/release`, {
      ...chargingBase,
      chargingId: 1,
      invocationTimeStamp: new Date().toISOString(),
      multipleUnitUsage: [{ ratingGroup: 10, uPFID: upfId, usedUnitContainer: [{ quotaManagementIndicator: 'ONLINE_CHARGING', triggers: [], triggerTimestamp: new Date().toISOString(), totalVolume: finalUsed, uplinkVolume: 0, downlinkVolume: finalUsed, localSequenceNumber: lsn }] }],
      triggers: [{ triggerType: 'FINAL', triggerCategory: 'IMMEDIATE_REPORT' }],
    })
    check(res.status === 204, 'CHF: charging session released', res.body ?? res.problem)
    res = await call('POST', `${smPolicyUri}/delete`, {})
    check(res.status === 204, 'PCF: SM policy association deleted', res.body ?? res.problem)
    res = await call('DELETE', amPolicyUri)
    check(res.status === 204, 'PCF: AM policy association deleted', res.body ?? res.problem)

    const cdr = await waitForCdr(t.cdrDir, supi, 10000)
    check(cdr, 'CHF: CHF-CDR written to a TS 32.297-named file', t.cdrDir)
    const cdrVolume = cdrTotalVolume(cdr!)
    n.say(`CDR: ${cdr!.causeForRecordClosing ?? ''} ${fmtBytes(cdrVolume)} in ${cdr!.listOfMultipleUnitUsage?.length ?? 0} rating group(s)`)
    check(cdrVolume === reported, `CHF: the CDR totals equal the ${fmtBytes(reported)} reported`, { cdrVolume, reported })

    r = await bss('GET', `/productInventory/v4/product/${productId}/usage?limit=1000`, admin)
    const usage = r.body as any[]
    const usageCharged = usage.reduce((a, u) => a + Number(u.amount ?? 0), 0)
    r = await bss('GET', `/productInventory/v4/product/${productId}/balance`, admin)
    const closing = moneyOf(r.body)
    n.say(`statement: opening 300 + credit 50 + top-up 1000 − charges ${usageCharged} = ${closing}`)
    check(closing === 300 + 50 + 1000 - usageCharged, 'BSS: the statement adds up: opening + credit + top-up − rated charges = balance', { closing, usageCharged })
    r = await bss('GET', `/productInventory/v4/product/${productId}/event?limit=500`, admin)
    const evTypes = (r.body as any[]).map((e) => String(e.type ?? e.eventType))
    check(evTypes.some((x) => /topup|top-up|topUp/i.test(x)) && evTypes.some((x) => /adjust|credit/i.test(x)), 'BSS: the statement shows the top-up and the credit', evTypes)
    return { verified }
  } finally {
    await stopAll()
  }
}

// ------------------------------------------------------------------ helpers

async function waitForOrder(bss: (m: string, p: string, b: string) => Promise<{ status: number; body: any }>, bearer: string, id: string) {
  const deadline = Date.now() + 30000
  for (;;) {
    const r = await bss('GET', `/productOrderingManagement/v4/productOrder/${id}`, bearer)
    if (r.body?.state === 'completed' || r.body?.state === 'failed' || Date.now() > deadline) return r.body
    await new Promise((res) => setTimeout(res, 100))
  }
}

function sessAmbrOf(q: RecordedRequest): unknown {
  const d = q.body?.smPolicyDecision
  const rule: any = d && Object.values(d.sessRules ?? {}).find(Boolean)
  return rule?.authSessAmbr
}

function isPolicyUpdate(q: RecordedRequest, smContextRef: string, downlink: string): boolean {
  if (q.path !== `/nsmf-callback/sm-policies/${smContextRef}/update`) return false
  const d = q.body?.smPolicyDecision
  if (!d) return false
  const rule: any = Object.values(d.sessRules ?? {}).find(Boolean)
  const qos: any = Object.values(d.qosDecs ?? {}).find(Boolean)
  return rule?.authSessAmbr?.downlink === downlink || qos?.maxbrDl === downlink
}

function describe(q: RecordedRequest): string {
  return `${q.method} ${q.path} ${JSON.stringify(q.body)?.slice(0, 200)}`
}

/** TMF654 AccumulatedBalance → the monetary balance in minor units. */
function moneyOf(b: any): number {
  return Number(b?.totalBalance?.amount ?? NaN)
}

function summariseBalance(b: any): string {
  const buckets = (b?.bucket ?? []).map((x: any) => `${x.name}: ${fmtBytes(Number(x.remainingValue))} of ${fmtBytes(Number(x.total))} left`)
  return `${(moneyOf(b) / 100).toFixed(2)} ${b?.totalBalance?.units ?? ''}${buckets.length ? `; ${buckets.join('; ')}` : ''}`
}

export function fmtBytes(n: number): string {
  if (n >= GB) return `${(n / GB).toFixed(2)} GB`
  if (n >= MB) return `${(n / MB).toFixed(1)} MB`
  return `${n} B`
}

async function waitForCdr(dir: string, supi: string, ms: number): Promise<any | undefined> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (existsSync(dir)) {
      const found: any[] = []
      for (const f of readdirSync(dir)) {
        const p = path.join(dir, f)
        for (const line of readFileSync(p, 'utf8').split('\n')) {
          if (!line.trim()) continue
          try {
            const rec = JSON.parse(line)
            if (JSON.stringify(rec.subscriberIdentifier ?? '').includes(supi)) found.push(rec)
          } catch {
            /* a partly written last line */
          }
        }
      }
      const final = found.find((c) => !/PARTIAL|volumeLimit|timeLimit/i.test(String(c.causeForRecordClosing ?? '')))
      if (final) {
        final.__all = found
        return final
      }
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return undefined
}

/** Total volume over the session's CDRs (partial records plus the final one). */
function cdrTotalVolume(cdr: any): number {
  const all: any[] = cdr.__all ?? [cdr]
  let total = 0
  for (const rec of all) {
    for (const mu of rec.listOfMultipleUnitUsage ?? []) {
      for (const c of mu.usedUnitContainers ?? mu.usedUnitContainer ?? []) total += Number(c.totalVolume ?? c.dataTotalVolume ?? 0)
    }
  }
  return total
}

export interface WebhookReceiver {
  url: string
  waitFor(pred: (body: unknown) => boolean, ms: number): Promise<unknown>
  close(): Promise<void>
}

/** The operator's SMS/e-mail gateway webhook (HTTP/1.1), recording what the BSS sends. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const bodies: unknown[] = []
  const server = http.createServer((req, res) => {
    let data = ''
    req.on('data', (c) => (data += c))
    req.on('end', () => {
      try {
        bodies.push(JSON.parse(data))
      } catch {
        bodies.push(data)
      }
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async waitFor(pred, ms) {
      const deadline = Date.now() + ms
      for (;;) {
        const b = bodies.find(pred)
        if (b) return b
        if (Date.now() > deadline) throw new Error('no matching webhook call')
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    close: () => new Promise((r) => server.close(() => r())),
  }
}

export type { FakePeer }
