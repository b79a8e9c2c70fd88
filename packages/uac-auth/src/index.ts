export { default, default as uacAuth } from './module.js';
import './api.js';
export type { UacAuthApi, UacCredential, UacAuthResult, UacAuthFailure, AuthenticateOptions, AuthHeader, Challenge, DigestAlgorithm, DigestTarget } from './api.js';
