/** Typed client of the CHF's gRPC AccountService (proto/account.proto). */
import * as grpc from '@grpc/grpc-js'
import { accountServiceDef } from '../../proto/load.ts'
import type { ProtoBundle, ProtoRatingPlan } from '../domain/plan.ts'

export interface Account {
  supi: string
  gpsi: string
  planId: string
  currency: string
  balance: number
  reserved: number
  bundles: ProtoBundle[]
  state: string
  barReason: string
  plan?: ProtoRatingPlan
  createdAt: string
  updatedAt: string
}

export interface BalanceResponse {
  account: Account
  transactionId: string
  replayed: boolean
}

export interface RatedUsage {
  id: string
  supi: string
  ratingGroup: number
  chargingDataRef: string
  volumeUplink: number
  volumeDownlink: number
  totalVolume: number
  time: number
  events: number
  bundleUnits: number
  amount: number
  currency: string
  ts: string
  zone: string
}

/** The AccountService operations the BSS calls (tests pass fakes of this interface or a fake gRPC server). */
export interface AccountApi {
  CreateAccount(r: { supi: string; gpsi: string; planId: string; currency: string; openingBalance: number; bundles: ProtoBundle[]; plan: ProtoRatingPlan; idempotencyKey: string }): Promise<Account>
  GetAccount(r: { supi: string }): Promise<Account>
  TopUp(r: { supi: string; amount: number; reference: string; idempotencyKey: string }): Promise<BalanceResponse>
  Adjust(r: { supi: string; amount: number; reason: string; operator: string; idempotencyKey: string }): Promise<BalanceResponse>
  AddBundle(r: { supi: string; bundle: ProtoBundle; idempotencyKey: string }): Promise<Account>
  RemoveBundle(r: { supi: string; bundleId: string; idempotencyKey: string }): Promise<Account>
  ChangePlan(r: { supi: string; planId: string; plan: ProtoRatingPlan; bundles: ProtoBundle[]; idempotencyKey: string }): Promise<Account>
  Bar(r: { supi: string; reason: string; idempotencyKey: string }): Promise<Account>
  Unbar(r: { supi: string; reason: string; idempotencyKey: string }): Promise<Account>
  DeleteAccount(r: { supi: string; idempotencyKey: string }): Promise<{ supi: string; finalBalance: number }>
  ListRatedUsage(r: { supi: string; from: string; to: string; ratingGroup?: number; pageSize?: number; pageToken?: string }): Promise<{ records: RatedUsage[]; nextPageToken: string }>
  close?(): void
}

/** A gRPC failure with its status code (grpc.status). */
export class ChfError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
    this.name = 'ChfError'
  }
  get notFound(): boolean {
    return this.code === grpc.status.NOT_FOUND
  }
}

const METHODS = ['CreateAccount', 'GetAccount', 'TopUp', 'Adjust', 'AddBundle', 'RemoveBundle', 'ChangePlan', 'Bar', 'Unbar', 'DeleteAccount', 'ListRatedUsage'] as const

export function createAccountClient(address: string, opts: { deadlineMs?: number } = {}): AccountApi {
  const Ctor = accountServiceDef()
  let client: grpc.Client | undefined
  const get = () => (client ??= new Ctor(address, grpc.credentials.createInsecure()))
  const api: Record<string, unknown> = {}
  for (const m of METHODS) {
    api[m] = (req: unknown) =>
      new Promise((resolve, reject) => {
        const c = get() as any
        c[m](req, { deadline: Date.now() + (opts.deadlineMs ?? 5000) }, (err: grpc.ServiceError | null, res: unknown) => {
          if (err) reject(new ChfError(err.code ?? grpc.status.UNKNOWN, `CHF ${m}: ${err.details || err.message}`))
          else resolve(res)
        })
      })
  }
  api.close = () => client?.close()
  return api as unknown as AccountApi
}
