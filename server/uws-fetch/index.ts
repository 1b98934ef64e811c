/**
 * Fetch on uWebSockets.js: serveFetch() puts a `(Request) => Response` handler, such as a Hono
 * app's `fetch`, on a uWS app. See README.md beside this file.
 */
export { serveFetch, type BridgeEnv, type BridgeOptions, type FetchHandler } from './serve-fetch.js';
export type { ErrorBody } from './exchange.js';
export { installLightResponse, LightResponse } from './light-response.js';
