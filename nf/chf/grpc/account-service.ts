/**
 * gRPC AccountService (proto/account.proto, openmvno.account.v1) over the CHF's AccountService:
 * maps messages to calls and AccountError codes to gRPC status codes.
 */
import * as grpc from '@grpc/grpc-js'
import { accountServiceDef } from '../../../proto/load.ts'
import { AccountError, bundleList, type AccountService, type BundleInput, type PlanInput } from '../accounts.ts'
import type { AccountDoc } from '../store.ts'

function toAccountMsg(a: AccountDoc): Record<string, unknown> {
  return {
    supi: a._id,
    gpsi: a.gpsi ?? '',
    planId: a.planId,
    currency: a.currency,
    balance: a.balance,
    reserved: a.reserved,
    bundles: bundleList(a).map((b: any) => ({
      id: b.id, name: b.name ?? '', ratingGroup: b.ratingGroup, unit: b.unit, total: b.total, remaining: b.remaining,
      validFrom: b.validFrom ?? '', validUntil: b.validUntil ?? '', source: b.source ?? '', priority: b.priority, recurrence: b.recurrence ?? '',
    })),
    state: a.state,
    barReason: a.barReason ?? '',
    plan: {
      planId: a.plan.planId, name: a.plan.name ?? '', paymentType: a.plan.paymentType,
      tariffs: a.plan.tariffs.map((t) => ({ ratingGroup: t.ratingGroup, unit: t.unit, price: t.price, unitSize: t.unitSize, timeFrom: t.timeFrom ?? '', timeTo: t.timeTo ?? '', zone: t.zone ?? '' })),
      finalUnitAction: a.plan.finalUnitAction, redirectUrl: a.plan.redirectUrl ?? '', creditLimit: a.plan.creditLimit, lowBalanceThreshold: a.plan.lowBalanceThreshold ?? 0,
      json: JSON.stringify({ ...(a.plan.roamingZones ? { roamingZones: a.plan.roamingZones } : {}), ...(a.plan.chargingMode ? { chargingMode: a.plan.chargingMode } : {}), ...(a.plan.policyCounters ? { policyCounters: a.plan.policyCounters } : {}) }),
    },
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  }
}

/** proto3 fills absent fields with defaults: "" and 0 mean "not given". */
function bundleIn(b: any): BundleInput {
  return {
    id: b.id, name: b.name || undefined, ratingGroup: b.ratingGroup || 0, unit: b.unit || 'VOLUME', total: Number(b.total ?? 0),
    remaining: b.remaining ? Number(b.remaining) : undefined, validFrom: b.validFrom || undefined, validUntil: b.validUntil || undefined,
    source: b.source || undefined, priority: b.priority || 0, recurrence: b.recurrence || undefined,
  }
}

function planIn(p: any): PlanInput | undefined {
  if (!p) return undefined
  return {
    planId: p.planId || undefined, name: p.name || undefined, paymentType: p.paymentType || undefined,
    tariffs: (p.tariffs ?? []).map((t: any) => ({ ratingGroup: t.ratingGroup || 0, unit: t.unit || 'VOLUME', price: Number(t.price ?? 0), unitSize: Number(t.unitSize || 1), timeFrom: t.timeFrom || undefined, timeTo: t.timeTo || undefined, zone: t.zone || undefined })),
    finalUnitAction: p.finalUnitAction || undefined, redirectUrl: p.redirectUrl || undefined, creditLimit: Number(p.creditLimit ?? 0),
    lowBalanceThreshold: Number(p.lowBalanceThreshold ?? 0), json: p.json || undefined,
  }
}

const CODES: Record<AccountError['code'], grpc.status> = {
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
}

type Handler = (req: any) => Promise<unknown>

function unary(fn: Handler): grpc.handleUnaryCall<any, any> {
  return (call, cb) => {
    fn(call.request).then(
      (res) => cb(null, res),
      (err) => {
        if (err instanceof AccountError) cb({ code: CODES[err.code], details: err.message } as grpc.ServiceError)
        else cb({ code: grpc.status.UNAVAILABLE, details: 'internal error' } as grpc.ServiceError)
      },
    )
  }
}

export function registerAccountService(server: grpc.Server, svc: AccountService): void {
  const def = accountServiceDef()
  server.addService(def.service, {
    CreateAccount: unary(async (r) => toAccountMsg(await svc.create({ supi: r.supi, gpsi: r.gpsi || undefined, planId: r.planId || undefined, currency: r.currency || undefined, openingBalance: Number(r.openingBalance ?? 0), bundles: (r.bundles ?? []).map(bundleIn), plan: planIn(r.plan), idempotencyKey: r.idempotencyKey || undefined }))),
    GetAccount: unary(async (r) => toAccountMsg(await svc.get(r.supi))),
    TopUp: unary(async (r) => {
      const o = await svc.credit(r.supi, Number(r.amount), { kind: 'topup', idempotencyKey: r.idempotencyKey || undefined, reference: r.reference || undefined })
      return { account: toAccountMsg(o.account), transactionId: o.transactionId, replayed: o.replayed }
    }),
    Adjust: unary(async (r) => {
      const o = await svc.credit(r.supi, Number(r.amount), { kind: 'adjust', idempotencyKey: r.idempotencyKey || undefined, reason: r.reason || undefined, operator: r.operator || undefined })
      return { account: toAccountMsg(o.account), transactionId: o.transactionId, replayed: o.replayed }
    }),
    AddBundle: unary(async (r) => toAccountMsg(await svc.addBundle(r.supi, bundleIn(r.bundle ?? {}), r.idempotencyKey || undefined))),
    RemoveBundle: unary(async (r) => toAccountMsg(await svc.removeBundle(r.supi, r.bundleId, r.idempotencyKey || undefined))),
    ChangePlan: unary(async (r) => toAccountMsg(await svc.changePlan(r.supi, r.planId, planIn(r.plan), (r.bundles ?? []).map(bundleIn), r.idempotencyKey || undefined))),
    Bar: unary(async (r) => toAccountMsg(await svc.setBarred(r.supi, true, r.reason || undefined))),
    Unbar: unary(async (r) => toAccountMsg(await svc.setBarred(r.supi, false))),
    DeleteAccount: unary(async (r) => svc.remove(r.supi)),
    ListRatedUsage: unary(async (r) => {
      const { records, nextPageToken } = await svc.ratedUsage({ supi: r.supi, from: r.from || undefined, to: r.to || undefined, ratingGroup: r.ratingGroup || undefined, pageSize: r.pageSize || undefined, pageToken: r.pageToken || undefined })
      return {
        records: records.map((u) => ({
          id: u._id, supi: u.supi, ratingGroup: u.ratingGroup, chargingDataRef: u.chargingDataRef, volumeUplink: u.uplinkVolume, volumeDownlink: u.downlinkVolume,
          totalVolume: u.unit === 'VOLUME' ? u.units : 0, time: u.unit === 'TIME' ? u.units : 0, events: u.unit === 'EVENTS' ? u.units : 0,
          bundleUnits: u.bundleUnits, amount: u.amount, currency: u.currency, ts: u.ts, zone: u.zone,
        })),
        nextPageToken,
      }
    }),
  })
}
