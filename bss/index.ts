/**
 * The BSS: an express 5 application on HTTP/1.1 (the lead's platform serves it on config.bss.port).
 * createBss wires the rooms (store, clients, sagas, routes) and nothing else.
 */
import express, { type NextFunction, type Request, type Response } from 'express'
import type { NfContext } from '../nf/sbi/ports.ts'
import { authMiddleware } from './auth.ts'
import { createAccountClient, type AccountApi } from './clients/chf.ts'
import { createUdrClient, type UdrApi } from './clients/udr.ts'
import { BssError } from './errors.ts'
import { openapiDoc, BSS_OPENAPI_PATH } from './http.ts'
import { Inventory } from './inventory.ts'
import { Notices } from './notices.ts'
import { Orders } from './orders.ts'
import { runRenewals } from './renewals.ts'
import { sendMessage } from './routes/care.ts'
import { BssStore } from './store.ts'
import { WebhookOutbox } from './webhooks.ts'
import { catalogueRoutes } from './routes/catalogue.ts'
import { customerRoutes } from './routes/customers.ts'
import { inventoryRoutes } from './routes/inventory.ts'
import { orderRoutes } from './routes/orders.ts'
import { balanceRoutes } from './routes/balance.ts'
import { careRoutes } from './routes/care.ts'
import { billingRoutes } from './routes/billing.ts'
import { readFileSync } from 'node:fs'
import { outboxRetention } from '../nf/sbi/outbox.ts'
import { daysToMs, type RetentionRule } from '../nf/sbi/retention.ts'

export interface BssOptions {
  /** AccountService client (default: gRPC to config.grpc.host:config.grpc.port). */
  chf?: AccountApi
  /** Nudr_DR client (default: ctx.client + ctx.peers). */
  udr?: UdrApi
  /** Webhook outbox poll interval and first backoff (tests). */
  webhookPollMs?: number
  webhookBackoffMs?: number
  /** Event poll interval for notices (low balance, exhaustion); 0 disables. */
  noticePollMs?: number
  /** Prepaid renewal pass interval (default 60 s); 0 disables. */
  renewalPollMs?: number
}

export interface Bss {
  app: express.Express
  start(): Promise<void>
  stop(): Promise<void>
  /** Low-balance/exhaustion notices (poll() runs one pass; tests). */
  notices: Notices
  orders: Orders
  /** One prepaid renewal pass (tests, or an operator's cron). */
  renewals(): Promise<{ renewed: number; failed: number }>
  /** The BSS's records for the platform's retention sweep (its webhook outbox). */
  retention: RetentionRule[]
}

/** Everything a route module needs. */
export interface BssDeps {
  ctx: NfContext
  s: BssStore
  inv: Inventory
  orders: Orders
  chf: () => AccountApi
  webhooks: WebhookOutbox
}

export function createBss(ctx: NfContext, opts: BssOptions = {}): Bss {
  const s = new BssStore(ctx.store)
  const inv = new Inventory(s, ctx.config.security.kek, ctx.clock)
  let chfClient = opts.chf
  const chf = () => (chfClient ??= createAccountClient(`${ctx.config.grpc.host ?? ctx.config.sbi.host}:${ctx.config.grpc.port}`, { deadlineMs: ctx.config.sbi.clientTimeoutMs }))
  const udr = opts.udr ?? createUdrClient(ctx)
  const orders = new Orders({ s, inv, udr, chf, config: ctx.config, clock: ctx.clock, events: ctx.events, log: ctx.log })
  const webhooks = new WebhookOutbox({
    s,
    ...(ctx.config.bss.webhookUrl ? { url: ctx.config.bss.webhookUrl } : {}),
    log: ctx.log,
    clock: ctx.clock,
    ...(opts.webhookPollMs ? { pollMs: opts.webhookPollMs } : {}),
    ...(opts.webhookBackoffMs ? { baseBackoffMs: opts.webhookBackoffMs } : {}),
  })
  const deps: BssDeps = { ctx, s, inv, orders, chf, webhooks }
  const notices = new Notices(deps, opts.noticePollMs ?? 2000)
  let renewTimer: NodeJS.Timeout | undefined
  const renewals = () =>
    runRenewals({
      s,
      chf,
      clock: ctx.clock,
      events: ctx.events,
      log: ctx.log,
      onFailed: async (p, reason) => {
        await sendMessage(deps, { id: `renewal-${p.id}-${p.nextRenewalAt}`, messageType: 'SMS', content: 'Your plan could not be renewed: please top up.', receiver: [{ phoneNumber: p.msisdn, id: p.customerId }], product: { id: p.id }, sender: 'bss', reason: `bss.renewal.failed: ${reason}` })
      },
    })
  const indexes = s.ensureIndexes()

  const app = express()
  app.disable('x-powered-by')
  app.set('query parser', 'simple')
  app.use(express.json({ limit: '50mb', type: ['application/json', 'application/merge-patch+json', 'application/*+json'] }))
  app.use(express.text({ limit: '200mb', type: ['text/csv', 'text/plain'] }))

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  app.get('/docs', (req, res) => {
    if (req.accepts(['yaml', 'json', 'html']) === 'json') res.json(openapiDoc())
    else res.type('application/yaml').send(readFileSync(BSS_OPENAPI_PATH, 'utf8'))
  })
  app.get('/docs/openapi.json', (_req, res) => {
    res.json(openapiDoc())
  })
  app.use(async (_req: Request, _res: Response, next: NextFunction) => {
    try {
      await indexes
      next()
    } catch (e) {
      next(e)
    }
  })
  app.use(authMiddleware(ctx.config.bss))
  app.use(catalogueRoutes(deps))
  app.use(customerRoutes(deps))
  app.use(inventoryRoutes(deps))
  app.use(orderRoutes(deps))
  app.use(balanceRoutes(deps))
  app.use(careRoutes(deps))
  app.use(billingRoutes(deps))

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new BssError(404, 'NOT_FOUND', `no resource ${req.method} ${req.path}`))
  })
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let e: BssError
    if (err instanceof BssError) e = err
    else if ((err as any)?.type === 'entity.parse.failed') e = new BssError(400, 'INVALID_BODY', `the body is not valid JSON: ${(err as Error).message}`, '(body)')
    else if ((err as any)?.type === 'entity.too.large') e = new BssError(413, 'TOO_LARGE', 'the body is too large')
    else if ((err as any)?.name === 'ChfError') e = new BssError(502, 'CHF_FAILED', (err as Error).message)
    else if ((err as any)?.name === 'UdrError') e = new BssError(502, 'UDR_FAILED', (err as Error).message)
    else {
      ctx.log.error({ err, path: req.path }, 'BSS request failed')
      e = new BssError(500, 'INTERNAL', 'internal error')
    }
    res.status(e.status).json(e.toJSON())
  })

  return {
    app,
    notices,
    orders,
    retention: [outboxRetention(daysToMs(ctx.config.retention?.outboxDays), 'bss.webhookOutbox')],
    async start() {
      await indexes
      await orders.resumeInterrupted()
      webhooks.start()
      notices.start()
      if (opts.renewalPollMs !== 0) {
        const tick = () => {
          renewTimer = setTimeout(() => void renewals().catch((e) => ctx.log.warn({ err: e }, 'renewals failed')).finally(tick), opts.renewalPollMs ?? 60_000)
          renewTimer.unref?.()
        }
        tick()
      }
    },
    renewals,
    async stop() {
      if (renewTimer) clearTimeout(renewTimer)
      webhooks.stop()
      notices.stop()
      chfClient?.close?.()
    },
  }
}
