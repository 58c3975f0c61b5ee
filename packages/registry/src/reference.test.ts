import { describe, expect, it } from '@jest/globals';
import { credentialVariables } from './credentials.js';
import { apiHost, formatRef, isLoopback, parseImageRef, parseRepository } from './reference.js';
import { insecureRegistries } from './insecure.js';
import { mergeScopes, parseChallenges } from './transport.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('image references (parsed as Docker does)', () => {
  it.each([
    ['alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['bitnami/spark:3.5', { registry: 'docker.io', repository: 'bitnami/spark', tag: '3.5' }],
    ['docker.io/library/python:3.12-slim', { registry: 'docker.io', repository: 'library/python', tag: '3.12-slim' }],
    ['index.docker.io/apache/airflow:2.10.4', { registry: 'docker.io', repository: 'apache/airflow', tag: '2.10.4' }],
    ['ghcr.io/acme/etl:1.4', { registry: 'ghcr.io', repository: 'acme/etl', tag: '1.4' }],
    ['ghcr.io/acme/team/etl', { registry: 'ghcr.io', repository: 'acme/team/etl', tag: 'latest' }],
    ['localhost/etl:dev', { registry: 'localhost', repository: 'etl', tag: 'dev' }],
    ['localhost:5000/etl:dev', { registry: 'localhost:5000', repository: 'etl', tag: 'dev' }],
    ['127.0.0.1:5000/a/b', { registry: '127.0.0.1:5000', repository: 'a/b', tag: 'latest' }],
    ['[::1]:5000/a', { registry: '[::1]:5000', repository: 'a', tag: 'latest' }],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/etl:v1', { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'etl', tag: 'v1' }],
    [`ghcr.io/acme/etl@${D}`, { registry: 'ghcr.io', repository: 'acme/etl', digest: D }],
    [`ghcr.io/acme/etl:1.4@${D}`, { registry: 'ghcr.io', repository: 'acme/etl', tag: '1.4', digest: D }],
    ['my_org/my-app__x.y:tag_1.2-rc', { registry: 'docker.io', repository: 'my_org/my-app__x.y', tag: 'tag_1.2-rc' }],
  ])('%s', (input, expected) => {
    expect(parseImageRef(input)).toEqual(expected);
  });

  it.each([
    ['', /empty/],
    ['ghcr.io/Acme/etl:1', /lowercase/],
    ['ghcr.io/acme/etl:-bad', /not a valid tag/],
    ['ghcr.io/acme/etl@sha256:abc', /ferry verifies sha256 and sha512 digests only/],
    ['ghcr.io/acme/etl@md5', /not a digest/],
    ['https://ghcr.io/acme/etl', /leave out the scheme/],
    ['ghcr.io/acme//etl', /not a valid repository path component/],
    ['ghcr.io/', /repository name is missing/],
    ['acme/etl x', /white space/],
  ])('refuses %j', (input, why) => {
    expect(() => parseImageRef(input, { file: 'ferry.yml', key: 'artifacts.images[0].image' })).toThrow(why);
    try {
      parseImageRef(input, { file: 'ferry.yml', key: 'artifacts.images[0].image' });
    } catch (e) {
      expect((e as { problems: unknown[] }).problems[0]).toMatchObject({ code: 'FERRY_IMAGE_REF', location: { key: 'artifacts.images[0].image' } });
    }
  });

  it('parses promotion repositories and formats references back', () => {
    expect(parseRepository('ghcr.io/acme/etl')).toEqual({ registry: 'ghcr.io', repository: 'acme/etl' });
    expect(parseRepository('etl')).toEqual({ registry: 'docker.io', repository: 'library/etl' });
    expect(() => parseRepository('ghcr.io/acme/etl:staging')).toThrow(/takes no tag/);
    expect(formatRef(parseImageRef('alpine'))).toBe('docker.io/library/alpine:latest');
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('ghcr.io')).toBe('ghcr.io');
  });

  it('allows plain http only for loopback registries', () => {
    expect(['localhost:5000', '127.0.0.1:1', '127.1.2.3', '[::1]:5000', 'localhost'].map(isLoopback)).toEqual([true, true, true, true, true]);
    expect(['ghcr.io', '10.0.0.1:5000', 'localhost.example.com:5000', '128.0.0.1'].map(isLoopback)).toEqual([false, false, false, false]);
    expect(insecureRegistries({ FERRY_REGISTRY_INSECURE: 'localhost:5000, 127.0.0.1:5001' })).toEqual(['localhost:5000', '127.0.0.1:5001']);
    expect(() => insecureRegistries({ FERRY_REGISTRY_INSECURE: 'registry.internal:5000' })).toThrow(/registry.internal:5000/);
  });

  it('names credential variables after the registry', () => {
    expect(credentialVariables('ghcr.io')).toEqual({ username: 'FERRY_REGISTRY_GHCR_IO_USERNAME', password: 'FERRY_REGISTRY_GHCR_IO_PASSWORD' });
    expect(credentialVariables('localhost:5000').username).toBe('FERRY_REGISTRY_LOCALHOST_5000_USERNAME');
    expect(credentialVariables('123456789012.dkr.ecr.eu-west-1.amazonaws.com').password).toBe('FERRY_REGISTRY_123456789012_DKR_ECR_EU_WEST_1_AMAZONAWS_COM_PASSWORD');
  });
});

describe('WWW-Authenticate challenges and scopes', () => {
  it('parses Docker Hub, GHCR and distribution challenges, several in one header', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } },
    ]);
    expect(parseChallenges('Basic realm="Registry Realm", Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull",error="insufficient_scope"')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:a/b:pull', error: 'insufficient_scope' } },
    ]);
    expect(parseChallenges('Basic realm=ferry')).toEqual([{ scheme: 'basic', params: { realm: 'ferry' } }]);
    expect(parseChallenges(null)).toEqual([]);
  });

  it('merges scopes per repository (the token cache key)', () => {
    expect(mergeScopes(['repository:b:push', 'repository:a:pull'], ['repository:b:pull'])).toEqual(['repository:a:pull', 'repository:b:pull,push']);
  });
});
