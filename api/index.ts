export { buildApi, startApi } from './server.js'
export { apiCounterNames, type ApiCounter, type ApiDeps, type ZodScope } from './deps.js'
