export { createHttpClient, type ClosableHttpClient } from './client';
export { HttpError, parseServerError, type HttpErrorDetails, type HttpFailureKind, type ServerErrorInfo } from './errors';
export { systemClock, sleep, type Clock } from './clock';
export { DEFAULT_RETRY, isSolutionOperationLock, parseRetryAfter } from './retry-policy';
export { redactUrl } from './url-redaction';
export type {
  HttpClient, HttpClientOptions, HttpMethod, HttpRequest, HttpResponse, ProxySettings, RequestBody, ResponseType,
  RetryOptions,
} from './types';
