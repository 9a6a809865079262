/**
 * Loads our gRPC contracts with the one set of proto-loader options both sides use, so servers
 * (CHF AccountService, nf/sbi/event-feed.ts) and clients (BSS) see the same JS shapes:
 * lowerCamel field names, int64 as JS numbers (minor units and bytes stay below 2^53), enums as strings,
 * defaults filled in ("" / 0 / []).
 */
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const here = dirname(fileURLToPath(import.meta.url))

export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
}

function load(file: string): grpc.GrpcObject {
  const def = protoLoader.loadSync(join(here, file), PROTO_LOADER_OPTIONS)
  return grpc.loadPackageDefinition(def)
}

type ServiceCtor = grpc.ServiceClientConstructor

/** `openmvno.account.v1.AccountService` (client constructor; `.service` is the definition for addService). */
export function accountServiceDef(): ServiceCtor {
  const pkg = load('account.proto') as any
  return pkg.openmvno.account.v1.AccountService as ServiceCtor
}

/** `openmvno.events.v1.EventFeed`. */
export function eventFeedDef(): ServiceCtor {
  const pkg = load('events.proto') as any
  return pkg.openmvno.events.v1.EventFeed as ServiceCtor
}
