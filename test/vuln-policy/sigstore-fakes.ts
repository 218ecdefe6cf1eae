import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, rekorHandler, tsaHandler } from '@sigstore/mock';
import { bundleToJSON } from '@sigstore/bundle';
import { FulcioSigner, MessageSignatureBundleBuilder, RekorWitness, TSAWitness } from '@sigstore/sign';

type Handler = ReturnType<typeof fulcioHandler>;

/** Fulcio, Rekor and a timestamp authority from @sigstore/mock, served on one loopback port. */
export interface SigstoreFakes {
  url: string;
  /** The trusted root (protobuf JSON) naming the fakes' CA, log, CT log and TSA. */
  trustedRoot: Record<string, unknown>;
  /**
   * Signs bytes keyless the way cosign/sigstore-js do: an OIDC token (unsigned JWT with `sub` and
   * `iss`; the fake Fulcio puts `sub` in the certificate SAN and `iss` in the issuer extensions),
   * a Fulcio certificate with an embedded SCT, a Rekor hashedrekord entry and an RFC 3161 timestamp.
   */
  signKeyless(data: Buffer, identity: { subject: string; issuer: string }): Promise<string>;
  close(): Promise<void>;
}

function keyPair(): { publicKey: import('node:crypto').KeyObject; privateKey: import('node:crypto').KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function b64(bytes: ArrayBufferView): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** An unsigned JWT: the fake Fulcio decodes claims without checking a signature, like its strict mode documents. */
function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.${Buffer.from('unsigned').toString('base64url')}`;
}

export async function startSigstoreFakes(): Promise<SigstoreFakes> {
  // One clock on a whole second for every fake: DER GeneralizedTime drops trailing zeros of the
  // milliseconds (".45Z") while @sigstore/core 3.x only parses exactly three digits, so a TSA time
  // with a round millisecond count would fail verification at random. The next whole second also
  // stays after the notBefore of the TSA certificates made below.
  const clock = new Date(Math.floor(Date.now() / 1000) * 1000 + 1000);
  const ctlog = await initializeCTLog(keyPair(), clock);
  const ca = await initializeCA(keyPair(), ctlog, clock);
  const handlers: Handler[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const handler = handlers.find((h) => h.path === request.url);
      if (request.method !== 'POST' || handler === undefined) {
        response.writeHead(404).end('not found');
        return;
      }
      handler
        .fn(Buffer.concat(chunks).toString('utf8'))
        .then(({ statusCode, response: body, contentType }) => {
          response.writeHead(statusCode, { 'Content-Type': contentType ?? 'text/plain' });
          response.end(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
        })
        .catch((error: unknown) => response.writeHead(500).end(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tlog = await initializeTLog(url, keyPair(), clock);
  const tsa = await initializeTSA(keyPair(), clock);
  handlers.push(fulcioHandler(ca), rekorHandler(tlog), tsaHandler(tsa));

  const validFor = { start: new Date(Date.now() - 3_600_000).toISOString() };
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(tlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
        logId: { keyId: createHash('sha256').update(tlog.publicKey).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor,
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor,
      },
    ],
  };

  return {
    url,
    trustedRoot,
    async signKeyless(data, identity) {
      const token = unsignedJwt({ iss: identity.issuer, sub: identity.subject, aud: 'sigstore', iat: Math.floor(Date.now() / 1000) });
      const builder = new MessageSignatureBundleBuilder({
        signer: new FulcioSigner({ fulcioBaseURL: url, identityProvider: { getToken: () => Promise.resolve(token) }, retry: 0 }),
        witnesses: [new RekorWitness({ rekorBaseURL: url, retry: 0 }), new TSAWitness({ tsaBaseURL: url, retry: 0 })],
      });
      const bundle = await builder.create({ data });
      return `${JSON.stringify(bundleToJSON(bundle), null, 2)}\n`;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
