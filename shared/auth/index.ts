export * from './types';
export { createTokenProvider, normalizeResource, type TokenProviderDeps } from './token-provider';
export { assertSecureUrl, isLoopbackHost } from './secure-url';
export { AuthError, type AuthErrorDetails } from './errors';
export { createClientAssertion, loadSigningCertificate, type SigningCertificate } from './client-assertion';
export { tokenEndpoint } from './entra-token-request';
