/** The PCF's pure policy logic (no I/O). */
export * from './types.ts'
export * from './bitrate.ts'
export * from './features.ts'
export * from './policy-data.ts'
export * from './sm-policy.ts'
export * from './am-policy.ts'
export * from './notify.ts'
