export { RegistryClient, type CopyResult, type CopyStats, type RegistryClientOptions, type Repo, type ResolvedImage } from './client.js';
export { credentialVariables, defaultCredentials, staticCredentials, type CredentialLookup, type Credentials, type DefaultCredentialOptions } from './credentials.js';
export { blobsOf, digestOf, isIndex, MANIFEST_ACCEPT, MEDIA, notAnImage, platformOf, type Descriptor, type Manifest, type ManifestJson } from './media.js';
export { apiHost, DOCKER_HUB, formatRef, isDigest, isLoopback, isTag, parseImageRef, parseRepository, pinnedRef, type ImageRef } from './reference.js';
export { credentialsHint, mergeScopes, parseChallenges, Transport, type RequestSpec, type RetryOptions, type TransportOptions } from './transport.js';
export { insecureRegistries, INSECURE_VARIABLE } from './insecure.js';
