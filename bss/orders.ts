/**
 * Product orders (TMF622) as sagas. Every step is recorded on the order (`saga`), with the output the
 * later steps and the compensations need; a failure runs the compensations of the done steps in
 * reverse and leaves the order `failed` with `failure: {step, reason}`. An order found `inProgress`
 * (a crash mid-way) resumes from its last recorded step when it is submitted again with the same
 * Idempotency-Key, or by `resumeInterrupted()` at start.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { MvnoConfig } from '../config/schema.ts'
import type { EventSink } from '../nf/sbi/ports.ts'
import { DuplicateKeyError } from '../store/port.ts'
import type { Principal } from './auth.ts'
import { ChfError, type AccountApi } from './clients/chf.ts'
import type { UdrApi } from './clients/udr.ts'
import { decryptSecret } from './crypto.ts'
import { addPeriod, bundlesOf, policyWrites, prorate, ratingPlanOf, udrWrites, type SubscriberState } from './domain/plan.ts'
import { badRequest, BssError, conflict, forbidden, notFound } from './errors.ts'
import type { Inventory } from './inventory.ts'
import { firstRenewal } from './renewals.ts'
import type { BssStore, Offering, OrderDoc, ProductDoc, SagaStep } from './store.ts'

export interface OrderItemInput {
  action: 'add' | 'modify' | 'suspend' | 'resume' | 'delete' | 'simSwap'
  productOffering?: { id: string }
  product?: { id: string }
  simType?: 'physical' | 'esim'
  iccid?: string
  msisdn?: string
  openingBalance?: number
  reason?: string
}

export interface OrderInput {
  externalId?: string
  customerId?: string
  productOrderItem: OrderItemInput[]
}

export interface OrderDeps {
  s: BssStore
  inv: Inventory
  udr: UdrApi
  chf: () => AccountApi
  config: MvnoConfig
  clock: () => Date
  events: EventSink
  log: Logger
  basePath?: string
}

interface Step {
  name: string
  run(out: Record<string, any>): Promise<Record<string, unknown> | void>
  /** Undo; receives all outputs so far (including the step's own). */
  compensate?(out: Record<string, any>): Promise<void>
  /** Called when the step itself fails, to undo its partial effects. */
  cleanup?(out: Record<string, any>, err: Error): Promise<void>
  /**
   * Record 'started' before running, so a crash mid-step is known on resume (`out._resumed`): for steps
   * whose re-run must know it may have left effects (provisioning). Others re-run as if new.
   */
  marksStart?: boolean
}

class StepFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export const ORDER_PATH = '/productOrderingManagement/v4/productOrder'
export const PRODUCT_PATH = '/productInventory/v4/product'

export function ownsProduct(p: Principal, prod: { id: string; customerId: string; msisdn: string; supi: string }): boolean {
  return [prod.id, prod.customerId, prod.msisdn, prod.supi, `msisdn-${prod.msisdn}`].includes(p.sub)
}

export class Orders {
  constructor(private d: OrderDeps) {}

  private now(): string {
    return this.d.clock().toISOString()
  }

  /** Submits an order: validates, records it, runs its saga. Same Idempotency-Key → the stored order. */
  async submit(input: OrderInput, principal: Principal, idemKey?: string): Promise<{ order: OrderDoc; replayed: boolean }> {
    const { s } = this.d
    if (idemKey) {
      const prior = await s.idem.findOne({ _id: `order:${idemKey}` })
      if (prior) return this.replay(String(prior.ref))
    }
    const item = input.productOrderItem[0]!
    await this.check(input, item, principal)
    const id = randomUUID()
    const order: OrderDoc = {
      _id: id,
      id,
      href: `${ORDER_PATH}/${id}`,
      '@type': 'ProductOrder',
      ...(input.externalId ? { externalId: input.externalId } : {}),
      ...(input.customerId ? { customerId: input.customerId } : {}),
      ...(idemKey ? { idempotencyKey: idemKey } : {}),
      state: 'acknowledged',
      productOrderItem: [{ id: '1', ...item }],
      saga: [],
      requestedBy: principal.sub,
      orderDate: this.now(),
      _productId: item.action === 'add' ? randomUUID() : item.product!.id,
    }
    if (idemKey) {
      try {
        await s.idem.insertOne({ _id: `order:${idemKey}`, ref: id, at: this.now() })
      } catch (e) {
        if (e instanceof DuplicateKeyError) {
          const prior = await s.idem.findOne({ _id: `order:${idemKey}` })
          return this.replay(String(prior!.ref))
        }
        throw e
      }
    }
    await s.orders.insertOne(order)
    return { order: await this.run(order), replayed: false }
  }

  private async replay(orderId: string): Promise<{ order: OrderDoc; replayed: boolean }> {
    const o = await this.d.s.orders.findOne({ _id: orderId })
    if (!o) throw new BssError(409, 'IDEMPOTENCY_CONFLICT', 'this Idempotency-Key belongs to an order that is being created; retry shortly')
    if (o.state === 'inProgress' || o.state === 'acknowledged') return { order: await this.run(o), replayed: true }
    return { order: o, replayed: true }
  }

  /** Resumes orders left inProgress by a crash (called at start). */
  async resumeInterrupted(): Promise<number> {
    const open = await this.d.s.orders.find({ state: { $in: ['acknowledged', 'inProgress'] } })
    for (const o of open) await this.run(o).catch((e) => this.d.log.error({ err: e, order: o.id }, 'resume failed'))
    return open.length
  }

  private async check(input: OrderInput, item: OrderItemInput, p: Principal): Promise<void> {
    const { s } = this.d
    if (item.action === 'add') {
      if (p.role === 'selfcare') throw forbidden('selfcare may not order new subscriptions')
      if (!input.customerId) throw badRequest('customerId', 'customerId is required for action add', 'MISSING_FIELD')
      if (!(await s.customers.findOne({ _id: input.customerId }))) throw new BssError(404, 'NOT_FOUND', `customer ${input.customerId} not found`, 'customerId')
      if (!item.productOffering) throw badRequest('productOrderItem[0].productOffering', 'productOffering is required for action add', 'MISSING_FIELD')
      await this.activeOffering(item.productOffering.id, 'productOrderItem[0].productOffering.id')
      return
    }
    if (!item.product) throw badRequest('productOrderItem[0].product', `product is required for action ${item.action}`, 'MISSING_FIELD')
    const prod = await s.products.findOne({ _id: item.product.id })
    if (!prod) throw new BssError(404, 'NOT_FOUND', `product ${item.product.id} not found`, 'productOrderItem[0].product.id')
    if (p.role === 'selfcare') {
      if (!ownsProduct(p, prod)) throw new BssError(404, 'NOT_FOUND', `product ${item.product.id} not found`, 'productOrderItem[0].product.id')
      if (item.action !== 'modify') throw forbidden(`selfcare may not ${item.action} a subscription`)
    }
    if (prod.status === 'terminated') throw conflict(`product ${prod.id} is terminated`, 'PRODUCT_TERMINATED')
    if (item.action === 'suspend' && prod.status !== 'active') throw conflict(`product ${prod.id} is ${prod.status}`, 'INVALID_STATE')
    if (item.action === 'resume' && prod.status !== 'suspended') throw conflict(`product ${prod.id} is ${prod.status}`, 'INVALID_STATE')
    if (item.action === 'modify') {
      if (!item.productOffering) throw badRequest('productOrderItem[0].productOffering', 'productOffering is required for action modify', 'MISSING_FIELD')
      const o = await this.activeOffering(item.productOffering.id, 'productOrderItem[0].productOffering.id')
      if (o.id === prod.plan.offeringId) throw conflict(`product ${prod.id} is already on ${o.id}`, 'SAME_PLAN', 'productOrderItem[0].productOffering.id')
    }
  }

  private async activeOffering(id: string, field: string): Promise<Offering> {
    const o = await this.d.s.offerings.findOne({ _id: id })
    if (!o) throw new BssError(404, 'NOT_FOUND', `productOffering ${id} not found`, field)
    if (o.lifecycleStatus !== 'Active') throw conflict(`productOffering ${id} is ${o.lifecycleStatus}`, 'OFFERING_RETIRED', field)
    return o
  }

  private async run(order: OrderDoc): Promise<OrderDoc> {
    const item = order.productOrderItem[0] as unknown as OrderItemInput
    const steps = await this.stepsFor(order, item)
    const { s } = this.d
    const saga: SagaStep[] = [...order.saga]
    const out: Record<string, any> = { orderId: order.id, productId: order._productId }
    for (const st of saga) if (st.status === 'done' && st.output) Object.assign(out, st.output)
    const save = async (extra: Record<string, unknown> = {}) => {
      await s.orders.updateOne({ _id: order.id }, { $set: { saga, ...extra } })
    }
    await save({ state: 'inProgress' })
    const done: Step[] = []
    for (const step of steps) {
      const prior = saga.find((x) => x.name === step.name)
      if (prior?.status === 'done') {
        done.push(step)
        continue
      }
      // A step found 'started' was interrupted by a crash: it runs again, knowing it may have left effects.
      out._resumed = prior?.status === 'started'
      if (!prior && step.marksStart) {
        saga.push({ name: step.name, status: 'started', at: this.now() })
        await save()
      }
      const drop = () => {
        const i = saga.findIndex((x) => x.name === step.name && x.status === 'started')
        if (i >= 0) saga.splice(i, 1)
      }
      const t0 = Date.now()
      try {
        const res = (await step.run(out)) ?? {}
        Object.assign(out, res)
        drop()
        saga.push({ name: step.name, status: 'done', at: this.now(), ms: Date.now() - t0, ...(Object.keys(res).length ? { output: res } : {}) })
        await save()
        done.push(step)
      } catch (err) {
        const e = err as Error
        const code = e instanceof StepFailure ? e.code : e instanceof ChfError ? (e.code === 6 /* ALREADY_EXISTS */ ? 'DUPLICATE_IMSI' : 'CHF_FAILED') : e.name === 'UdrError' ? 'UDR_FAILED' : e instanceof BssError ? e.code : 'STEP_FAILED'
        this.d.log.warn({ order: order.id, step: step.name, err: e.message }, 'order step failed; compensating')
        if (step.cleanup) await step.cleanup(out, e).catch((ce) => this.d.log.error({ err: ce }, 'cleanup failed'))
        drop()
        saga.push({ name: step.name, status: 'failed', at: this.now(), detail: `${code}: ${e.message}` })
        for (const prev of done.reverse()) {
          if (!prev.compensate) continue
          try {
            await prev.compensate(out)
            saga.push({ name: prev.name, status: 'compensated', at: this.now() })
          } catch (ce) {
            saga.push({ name: prev.name, status: 'compensation-failed', at: this.now(), detail: (ce as Error).message })
          }
        }
        const failure = { step: step.name, code, reason: e.message }
        await save({ state: 'failed', failure, completionDate: this.now() })
        await this.emit('bss.order.failed', out, { orderId: order.id, action: item.action, ...failure })
        return (await s.orders.findOne({ _id: order.id }))!
      }
    }
    await save({ state: 'completed', completionDate: this.now(), product: { id: out.productId, href: `${PRODUCT_PATH}/${out.productId}` } })
    await this.emit('bss.order.completed', out, { orderId: order.id, action: item.action, productId: out.productId })
    return (await s.orders.findOne({ _id: order.id }))!
  }

  private async emit(type: string, out: Record<string, any>, data: Record<string, unknown>): Promise<void> {
    await this.d.events
      .emit('bss', { type, ...(out.supi ? { supi: out.supi } : {}), ...(out.msisdn ? { gpsi: `msisdn-${out.msisdn}` } : {}), data })
      .catch((e) => this.d.log.warn({ err: e }, 'event emit failed'))
  }

  private async stepsFor(order: OrderDoc, item: OrderItemInput): Promise<Step[]> {
    const { s } = this.d
    if (item.action === 'add') {
      const offering = (await s.offerings.findOne({ _id: item.productOffering!.id }))!
      return this.addSteps(order, item, offering)
    }
    const prod = (await s.products.findOne({ _id: item.product!.id }))!
    switch (item.action) {
      case 'suspend':
        return this.stateSteps(prod, 'SUSPENDED', item.reason ?? 'suspended by order')
      case 'resume':
        return this.stateSteps(prod, 'ACTIVE', item.reason ?? 'resumed by order')
      case 'delete':
        return this.terminateSteps(prod)
      case 'modify':
        return this.modifySteps(prod, (await s.offerings.findOne({ _id: item.productOffering!.id }))!)
      case 'simSwap':
        return this.simSwapSteps(order, prod, item)
    }
  }

  // ── new subscription ────────────────────────────────────────────────────────────────────────────
  private addSteps(order: OrderDoc, item: OrderItemInput, offering: Offering): Step[] {
    const { s, inv, udr, config } = this.d
    const kek = config.security.kek
    return [
      {
        name: 'allocate-msisdn',
        run: async (o) => ({ msisdn: await inv.reserveMsisdn(order.id, item.msisdn) }),
        compensate: async (o) => inv.unreserveMsisdn(o.msisdn, order.id),
      },
      {
        name: 'allocate-sim',
        run: async () => {
          const sim = await inv.reserveSim(order.id, { ...(item.iccid ? { iccid: item.iccid } : {}), type: item.simType ?? 'physical' })
          const supi = `imsi-${sim.imsi}`
          const clash = await s.products.findOne({ supi, status: { $ne: 'terminated' } })
          if (clash) {
            await inv.blockSim(sim.iccid, `IMSI already in service on product ${clash.id}`)
            throw new StepFailure('DUPLICATE_IMSI', `IMSI ${sim.imsi} is already in service (product ${clash.id})`)
          }
          return { iccid: sim.iccid, supi, simType: sim.type, ...(sim.activationCode ? { activationCode: sim.activationCode } : {}) }
        },
        compensate: async (o) => inv.unreserveSim(o.iccid, order.id),
      },
      ...this.provisionSteps(offering, 'provision-udr'),
      {
        name: 'create-chf-account',
        run: async (o) => {
          const now = this.d.clock()
          await this.d.chf().CreateAccount({
            supi: o.supi,
            gpsi: `msisdn-${o.msisdn}`,
            planId: offering.id,
            currency: offering.currency,
            openingBalance: item.openingBalance ?? offering.openingBalance ?? 0,
            bundles: bundlesOf(offering, now),
            plan: ratingPlanOf(offering),
            idempotencyKey: `order:${order.id}`,
          })
        },
        compensate: async (o) => this.deleteChf(o.supi, `order:${order.id}:undo`),
      },
      {
        name: 'activate',
        run: async (o) => {
          const now = this.now()
          const prod: ProductDoc = {
            _id: o.productId,
            id: o.productId,
            href: `${PRODUCT_PATH}/${o.productId}`,
            '@type': 'Product',
            name: offering.name,
            status: 'active',
            customerId: order.customerId!,
            productOffering: { id: offering.id, href: `/productCatalogManagement/v4/productOffering/${offering.id}`, name: offering.name },
            paymentType: offering.paymentType,
            supi: o.supi,
            gpsi: `msisdn-${o.msisdn}`,
            msisdn: o.msisdn,
            iccid: o.iccid,
            simType: o.simType,
            ...(o.activationCode ? { activationCode: o.activationCode } : {}),
            plan: { offeringId: offering.id, version: offering.version, offering },
            startDate: now,
            orderIds: [order.id],
          }
          const renewal = offering.paymentType === 'prepaid' ? firstRenewal(prod) : undefined
          if (renewal) prod.nextRenewalAt = renewal
          await s.products.replaceOne({ _id: prod.id }, prod, { upsert: true })
          await inv.allocateMsisdn(o.msisdn, prod.id)
          await inv.allocateSim(o.iccid, prod.id)
        },
      },
    ]
    void kek
  }

  /** Writes every UDR resource; checks first that the SUPI is not provisioned already (duplicate IMSI). */
  private provisionSteps(offering: Offering, name: string, state: SubscriberState = 'ACTIVE'): Step[] {
    const { s, udr, config, inv } = this.d
    const kek = config.security.kek
    return [
      {
        name,
        marksStart: true,
        run: async (o) => {
          const sim = await s.sims.findOne({ _id: o.iccid })
          if (!sim) throw new StepFailure('SIM_NOT_FOUND', `SIM ${o.iccid} vanished`)
          const keys = {
            supi: o.supi,
            msisdn: o.msisdn,
            k: decryptSecret(kek, sim.kEnc, `${sim.imsi}:k`),
            opc: decryptSecret(kek, sim.opcEnc, `${sim.imsi}:opc`),
          }
          const writes = udrWrites(config, offering, keys, state)
          if (!o._resumed && (await udr.exists(writes[0]!.path))) {
            await inv.blockSim(sim.iccid, 'IMSI already provisioned at the UDR')
            o._udrDuplicate = true
            throw new StepFailure('DUPLICATE_IMSI', `${o.supi} is already provisioned at the UDR; nothing was written`)
          }
          o._udrWritten = [] as string[]
          for (const w of writes) {
            await udr.put(w)
            o._udrWritten.push(w.path)
          }
          return { udrPaths: writes.map((w) => w.path) }
        },
        cleanup: async (o) => {
          const written = o._resumed ? udrWrites(config, offering, { supi: o.supi, msisdn: o.msisdn, k: '', opc: '' }).map((w) => w.path) : ((o._udrWritten as string[] | undefined) ?? [])
          for (const p of [...written].reverse()) await udr.delete(p)
        },
        compensate: async (o) => {
          for (const p of [...(o.udrPaths as string[])].reverse()) await udr.delete(p)
        },
      },
    ]
  }

  private async deleteChf(supi: string, key: string): Promise<void> {
    try {
      await this.d.chf().DeleteAccount({ supi, idempotencyKey: key })
    } catch (e) {
      if (e instanceof ChfError && e.notFound) return
      throw e
    }
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────────────
  private stateSteps(prod: ProductDoc, state: SubscriberState, reason: string): Step[] {
    const { udr, config, s } = this.d
    const plan = prod.plan.offering
    const back: SubscriberState = state === 'ACTIVE' ? 'SUSPENDED' : 'ACTIVE'
    const key = `${prod.id}:${state}:${this.now()}`
    // policy-data (the PCF bars) and am-data / smf-selection data with odbPacketServices (the UDM's view)
    const stateWrites = (st: SubscriberState) =>
      udrWrites(config, plan, { supi: prod.supi, msisdn: prod.msisdn, k: '', opc: '' }, st).filter((w) => ['am-data', 'smf-selection-subscription-data', 'policy-am-data', 'policy-sm-data'].includes(w.name))
    return [
      {
        name: 'udr-policy-state',
        run: async () => {
          for (const w of stateWrites(state)) await udr.put(w)
        },
        compensate: async () => {
          for (const w of stateWrites(back)) await udr.put(w)
        },
      },
      {
        name: state === 'ACTIVE' ? 'chf-unbar' : 'chf-bar',
        run: async () => {
          if (state === 'ACTIVE') await this.d.chf().Unbar({ supi: prod.supi, reason, idempotencyKey: key })
          else await this.d.chf().Bar({ supi: prod.supi, reason, idempotencyKey: key })
        },
      },
      {
        name: 'update-product',
        run: async () => {
          await s.products.updateOne({ _id: prod.id }, { $set: { status: state === 'ACTIVE' ? 'active' : 'suspended' }, $push: { orderIds: key } })
          return { supi: prod.supi, msisdn: prod.msisdn }
        },
      },
    ]
  }

  private terminateSteps(prod: ProductDoc): Step[] {
    const { udr, config, s, inv } = this.d
    const plan = prod.plan.offering
    const key = `${prod.id}:terminate`
    return [
      {
        name: 'chf-bar',
        run: async () => {
          await this.d.chf().Bar({ supi: prod.supi, reason: 'terminating', idempotencyKey: `${key}:bar` })
        },
        compensate: async () => {
          await this.d.chf().Unbar({ supi: prod.supi, reason: 'termination undone', idempotencyKey: `${key}:unbar:${this.now()}` })
        },
      },
      {
        name: 'udr-delete',
        run: async () => {
          const paths = udrWrites(config, plan, { supi: prod.supi, msisdn: prod.msisdn, k: '0'.repeat(32), opc: '0'.repeat(32) }).map((w) => w.path)
          for (const p of paths.reverse()) await udr.delete(p)
        },
        compensate: async () => {
          const sim = await s.sims.findOne({ _id: prod.iccid })
          if (!sim) return
          const keys = {
            supi: prod.supi,
            msisdn: prod.msisdn,
            k: decryptSecret(config.security.kek, sim.kEnc, `${sim.imsi}:k`),
            opc: decryptSecret(config.security.kek, sim.opcEnc, `${sim.imsi}:opc`),
          }
          for (const w of udrWrites(config, plan, keys, prod.status === 'suspended' ? 'SUSPENDED' : 'ACTIVE')) await udr.put(w)
        },
      },
      {
        name: 'chf-delete',
        run: async () => {
          await this.deleteChf(prod.supi, `${key}:delete`)
        },
      },
      {
        name: 'release-resources',
        run: async () => {
          await inv.quarantineMsisdn(prod.msisdn)
          await inv.retireSim(prod.iccid)
          await s.products.updateOne({ _id: prod.id }, { $set: { status: 'terminated', terminationDate: this.now() } })
          return { supi: prod.supi, msisdn: prod.msisdn }
        },
      },
    ]
  }

  /** Start of the current billing period of a product (anchored on its start date). */
  periodOf(prod: ProductDoc, at: Date): { start: Date; end: Date } {
    const period = prod.plan.offering.recurringCharge?.period ?? 'P1M'
    let start = new Date(prod.startDate)
    let end = addPeriod(start, period)
    for (let i = 0; end.getTime() <= at.getTime() && i < 10_000; i++) {
      start = end
      end = addPeriod(start, period)
    }
    return { start, end }
  }

  private modifySteps(prod: ProductDoc, next: Offering): Step[] {
    const { udr, config, s } = this.d
    const old = prod.plan.offering
    const state: SubscriberState = prod.status === 'suspended' ? 'SUSPENDED' : 'ACTIVE'
    const key = `${prod.id}:plan:${next.id}:${this.now()}`
    const planDataWrites = (o: Offering) => {
      const all = udrWrites(config, o, { supi: prod.supi, msisdn: prod.msisdn, k: '', opc: '' }, state)
      return all.filter((w) => ['am-data', 'sm-data', 'policy-am-data', 'policy-sm-data'].includes(w.name))
    }
    return [
      {
        name: 'udr-plan-data',
        run: async () => {
          for (const w of planDataWrites(next)) await udr.put(w)
        },
        compensate: async () => {
          for (const w of planDataWrites(old)) await udr.put(w)
        },
      },
      {
        name: 'chf-change-plan',
        run: async () => {
          await this.d.chf().ChangePlan({ supi: prod.supi, planId: next.id, plan: ratingPlanOf(next), bundles: bundlesOf(next, this.d.clock()), idempotencyKey: key })
        },
      },
      {
        name: 'proration',
        run: async () => {
          const at = this.d.clock()
          const { start, end } = this.periodOf(prod, at)
          const pr = prorate(old, next, start, end, at)
          // A credit only for a fee of the same kind: a prepaid fee is never on a postpaid bill and vice versa.
          const credit = old.paymentType === next.paymentType ? pr.credit : 0
          const charge = pr.charge
          const net = charge - credit
          if (net !== 0) {
            if (next.paymentType === 'prepaid') {
              await this.d.chf().Adjust({ supi: prod.supi, amount: -net, reason: `plan change ${old.id} → ${next.id} (prorated)`, operator: 'bss', idempotencyKey: `${key}:prorate` })
            } else {
              await s.charges.insertOne({ _id: `${key}:prorate`, productId: prod.id, supi: prod.supi, kind: 'proration', amount: net, description: `plan change ${old.id} → ${next.id} (prorated)`, ts: at.toISOString() })
            }
          }
          return { proration: { credit, charge, net } }
        },
      },
      {
        name: 'update-product',
        run: async () => {
          await s.products.updateOne(
            { _id: prod.id },
            {
              $set: {
                name: next.name,
                paymentType: next.paymentType,
                productOffering: { id: next.id, href: `/productCatalogManagement/v4/productOffering/${next.id}`, name: next.name },
                plan: { offeringId: next.id, version: next.version, offering: next },
                planChangedAt: this.now(),
                ...(next.paymentType === 'prepaid' && next.recurringCharge ? { nextRenewalAt: this.periodOf(prod, this.d.clock()).end.toISOString() } : {}),
              },
              ...(next.paymentType === 'prepaid' && next.recurringCharge ? {} : { $unset: { nextRenewalAt: '' } }),
              // the bill run charges the cycle's recurring fee on the plan the cycle started with
              $push: { planHistory: { offeringId: old.id, paymentType: old.paymentType, recurringAmount: old.recurringCharge?.amount ?? 0, until: this.now() } },
            },
          )
          return { supi: prod.supi, msisdn: prod.msisdn }
        },
      },
    ]
  }

  private simSwapSteps(order: OrderDoc, prod: ProductDoc, item: OrderItemInput): Step[] {
    const { s, inv, udr, config } = this.d
    const plan = prod.plan.offering
    const state: SubscriberState = prod.status === 'suspended' ? 'SUSPENDED' : 'ACTIVE'
    return [
      {
        name: 'allocate-sim',
        run: async () => {
          const sim = await inv.reserveSim(order.id, { ...(item.iccid ? { iccid: item.iccid } : {}), type: item.simType ?? prod.simType })
          const supi = `imsi-${sim.imsi}`
          if (await s.products.findOne({ supi, status: { $ne: 'terminated' } })) {
            await inv.blockSim(sim.iccid, 'IMSI already in service')
            throw new StepFailure('DUPLICATE_IMSI', `IMSI ${sim.imsi} is already in service`)
          }
          return { iccid: sim.iccid, supi, msisdn: prod.msisdn, simType: sim.type, ...(sim.activationCode ? { activationCode: sim.activationCode } : {}) }
        },
        compensate: async (o) => inv.unreserveSim(o.iccid, order.id),
      },
      ...this.provisionSteps(plan, 'provision-udr-new-sim', state),
      {
        name: 'migrate-chf-account',
        run: async (o) => {
          const acct = await this.d.chf().GetAccount({ supi: prod.supi })
          await this.d.chf().CreateAccount({
            supi: o.supi,
            gpsi: prod.gpsi,
            planId: acct.planId || plan.id,
            currency: acct.currency || plan.currency,
            openingBalance: acct.balance,
            bundles: acct.bundles.map((b) => ({ ...b, total: b.total, remaining: b.remaining })),
            plan: acct.plan ?? ratingPlanOf(plan),
            idempotencyKey: `order:${order.id}`,
          })
          if (acct.state === 'BARRED') await this.d.chf().Bar({ supi: o.supi, reason: acct.barReason || 'suspended', idempotencyKey: `order:${order.id}:bar` })
        },
        compensate: async (o) => this.deleteChf(o.supi, `order:${order.id}:undo`),
      },
      {
        name: 'retire-old-sim',
        run: async () => {
          const paths = udrWrites(config, plan, { supi: prod.supi, msisdn: prod.msisdn, k: '', opc: '' }).map((w) => w.path)
          for (const p of paths.reverse()) await udr.delete(p)
          await this.deleteChf(prod.supi, `order:${order.id}:old`)
        },
      },
      {
        name: 'activate',
        run: async (o) => {
          await inv.retireSim(prod.iccid)
          await inv.allocateSim(o.iccid, prod.id)
          await s.products.updateOne(
            { _id: prod.id },
            { $set: { supi: o.supi, iccid: o.iccid, simType: o.simType, ...(o.activationCode ? { activationCode: o.activationCode } : {}) }, $push: { orderIds: order.id } },
          )
        },
      },
    ]
  }
}

export function notFoundProduct(id: string): BssError {
  return notFound('product', id)
}
