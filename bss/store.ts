/** The BSS repository: collection names, document types, indexes (over ctx.store). */
import type { Collection, DocumentStore } from '../store/port.ts'

export interface Allowance { name?: string; ratingGroup: number; unit: 'VOLUME' | 'TIME' | 'EVENTS'; amount: number; validity?: string }
export interface Tariff { ratingGroup: number; unit: 'VOLUME' | 'TIME' | 'EVENTS'; price: number; unitSize?: number; timeFrom?: string; timeTo?: string; zone?: string }
export interface PolicyLevel { ambrUl: string; ambrDl: string; fiveQi: number; arpPriorityLevel?: number }

export interface Offering extends Record<string, unknown> {
  _id: string
  id: string
  href: string
  '@type': 'ProductOffering'
  name: string
  description?: string
  paymentType: 'prepaid' | 'postpaid'
  lifecycleStatus: 'Active' | 'Retired'
  currency: string
  recurringCharge?: { amount: number; period: 'P1D' | 'P7D' | 'P1M' }
  openingBalance?: number
  creditLimit?: number
  lowBalanceThreshold?: number
  proration?: 'daily' | 'none'
  allowances: Allowance[]
  tariffs: Tariff[]
  roamingZones: { id: string; name?: string; plmns: string[] }[]
  policy: { normal: PolicyLevel; exhausted?: PolicyLevel; finalUnitAction?: string; redirectUrl?: string }
  version: number
  lastUpdate: string
}

export interface Customer extends Record<string, unknown> {
  _id: string
  id: string
  href: string
  '@type': 'Customer'
  name: string
  email?: string
  phone?: string
  status: string
  createdAt: string
}

export interface MsisdnRange extends Record<string, unknown> {
  _id: string
  id: string
  from: string
  to: string
  size: number
  /** Index (from `from`) of the next never-used number. */
  nextIndex: number
  next?: string
  quarantineDays: number
  createdAt: string
}

/** A number that has been taken from a range at least once. */
export interface MsisdnDoc extends Record<string, unknown> {
  _id: string // the msisdn
  msisdn: string
  rangeId: string
  status: 'allocated' | 'quarantined' | 'available' | 'reserved'
  productId?: string
  orderId?: string
  quarantineUntil?: string
  updatedAt: string
}

export interface SimDoc extends Record<string, unknown> {
  _id: string // iccid
  iccid: string
  imsi: string
  kEnc: string
  opcEnc: string
  type: 'physical' | 'esim'
  status: 'available' | 'reserved' | 'allocated' | 'retired' | 'blocked'
  batch?: string
  smdp?: string
  matchingId?: string
  activationCode?: string
  productId?: string
  orderId?: string
  blockReason?: string
  importedAt: string
  updatedAt: string
}

export type SagaStepStatus = 'started' | 'done' | 'failed' | 'compensated' | 'compensation-failed' | 'skipped'
export interface SagaStep {
  name: string
  status: SagaStepStatus
  at: string
  detail?: string
  /** How long the step took. */
  ms?: number
  output?: Record<string, unknown>
}

export interface OrderDoc extends Record<string, unknown> {
  _id: string
  id: string
  href: string
  '@type': 'ProductOrder'
  externalId?: string
  customerId?: string
  idempotencyKey?: string
  state: 'acknowledged' | 'inProgress' | 'completed' | 'failed'
  productOrderItem: Record<string, unknown>[]
  saga: SagaStep[]
  failure?: { step: string; reason: string }
  product?: { id: string; href: string }
  requestedBy: string
  orderDate: string
  completionDate?: string
}

export interface PlanSnapshot {
  offeringId: string
  version: number
  offering: Offering
}

export interface ProductDoc extends Record<string, unknown> {
  _id: string
  id: string
  href: string
  '@type': 'Product'
  name: string
  status: 'active' | 'suspended' | 'terminated'
  customerId: string
  productOffering: { id: string; href: string; name: string }
  paymentType: 'prepaid' | 'postpaid'
  supi: string
  gpsi: string
  msisdn: string
  iccid: string
  simType: 'physical' | 'esim'
  activationCode?: string
  plan: PlanSnapshot
  startDate: string
  terminationDate?: string
  planChangedAt?: string
  /** Prepaid: when the next recurring fee is due (bss/renewals.ts). */
  nextRenewalAt?: string
  renewalFailedFor?: string
  /** Earlier plans: what was charged until when (plan changes). */
  planHistory?: { offeringId: string; paymentType: 'prepaid' | 'postpaid'; recurringAmount: number; until: string }[]
  /** A low-balance notice went out; cleared when the balance is back above the threshold. */
  lowBalanceNotified?: boolean
  orderIds: string[]
}

export class BssStore {
  readonly offerings: Collection<Offering>
  readonly customers: Collection<Customer>
  readonly ranges: Collection<MsisdnRange>
  readonly msisdns: Collection<MsisdnDoc>
  readonly sims: Collection<SimDoc>
  readonly orders: Collection<OrderDoc>
  readonly products: Collection<ProductDoc>
  readonly tickets: Collection
  readonly messages: Collection
  readonly webhooks: Collection
  readonly audit: Collection
  readonly receipts: Collection
  readonly charges: Collection
  readonly bills: Collection
  readonly billRuns: Collection
  readonly bulkJobs: Collection
  readonly bulkRows: Collection
  readonly counters: Collection
  /** Idempotency keys: _id = '<scope>:<key>' → { ref } (unique by _id on every adapter). */
  readonly idem: Collection
  constructor(readonly store: DocumentStore) {
    this.offerings = store.collection('bss.productOffering')
    this.customers = store.collection('bss.customer')
    this.ranges = store.collection('bss.msisdnRange')
    this.msisdns = store.collection('bss.msisdn')
    this.sims = store.collection('bss.sim')
    this.orders = store.collection('bss.productOrder')
    this.products = store.collection('bss.product')
    this.tickets = store.collection('bss.troubleTicket')
    this.messages = store.collection('bss.communicationMessage')
    this.webhooks = store.collection('bss.webhookOutbox')
    this.audit = store.collection('bss.audit')
    this.receipts = store.collection('bss.receipt')
    this.charges = store.collection('bss.charge')
    this.bills = store.collection('bss.customerBill')
    this.billRuns = store.collection('bss.billRun')
    this.bulkJobs = store.collection('bss.bulkJob')
    this.bulkRows = store.collection('bss.bulkRow')
    this.counters = store.collection('bss.counter')
    this.idem = store.collection('bss.idempotency')
  }

  async ensureIndexes(): Promise<void> {
    await this.sims.createIndex({ fields: ['imsi'], unique: true })
    await this.sims.createIndex({ fields: ['status', 'type'] })
    await this.msisdns.createIndex({ fields: ['status', 'quarantineUntil'] })
    await this.orders.createIndex({ fields: ['state'] })
    await this.products.createIndex({ fields: ['supi'] })
    await this.products.createIndex({ fields: ['msisdn'] })
    await this.products.createIndex({ fields: ['customerId'] })
    await this.products.createIndex({ fields: ['paymentType', 'status'] })
    await this.products.createIndex({ fields: ['nextRenewalAt'] })
    await this.charges.createIndex({ fields: ['productId', 'ts'] })
    await this.bulkRows.createIndex({ fields: ['jobId', 'row'] })
    await this.webhooks.createIndex({ fields: ['createdAt'] })
    // care history looks events up by GPSI too (the runtime's sink indexes supi)
    await this.store.collection('events').createIndex({ fields: ['gpsi'] })
  }
}
