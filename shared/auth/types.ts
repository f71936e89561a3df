/**
 * Credential configuration read from the `dataverse-alm` service connection (design.md §6) by
 * shared/pipeline and handed to the token providers in this folder. Contract between the two layers.
 */
export type CredentialConfig =
  | ClientSecretCredential
  | CertificateCredential
  | WorkloadIdentityCredential
  | ManagedIdentityCredential;

interface CredentialBase {
  /** Default https://login.microsoftonline.com. http:// only for loopback hosts (the emulator). */
  authorityHost: string;
}

export interface ClientSecretCredential extends CredentialBase {
  kind: 'clientSecret';
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export interface CertificateCredential extends CredentialBase {
  kind: 'certificate';
  tenantId: string;
  clientId: string;
  /** PEM holding the certificate and its private key (PKCS#8 or PKCS#1). */
  certificatePem: string;
}

export interface WorkloadIdentityCredential extends CredentialBase {
  kind: 'workloadIdentity';
  tenantId: string;
  clientId: string;
  /** Id of the service connection, passed to the oidctoken API. */
  serviceConnectionId: string;
  /** Full oidctoken URL without query (System.OidcRequestUri, or built from collection/project/hub/plan/job). */
  oidcRequestUri: string;
  /** System.AccessToken of the job. */
  systemAccessToken: string;
}

export interface ManagedIdentityCredential extends CredentialBase {
  kind: 'managedIdentity';
  /** Client id of a user-assigned identity; empty for the system-assigned one. */
  clientId?: string;
  /** IMDS token endpoint; default http://169.254.169.254/metadata/identity/oauth2/token. */
  imdsEndpoint?: string;
}

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254/metadata/identity/oauth2/token';
/** Environment variable that overrides the IMDS endpoint (tests, the emulator, custom agents). */
export const IMDS_ENDPOINT_ENV = 'DATAVERSE_ALM_IMDS_ENDPOINT';
export const CHECKER_RESOURCE = 'https://api.advisor.powerapps.com';

/** Gives a bearer token for a resource (an environment URL, or CHECKER_RESOURCE). */
export interface TokenProvider {
  getToken(resource: string, options?: { forceRefresh?: boolean; signal?: AbortSignal }): Promise<string>;
}
