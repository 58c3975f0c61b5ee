'use strict';
/**
 * Runs s3rver (a local S3 protocol server) in its own process, for
 * test/support/s3rver.ts. Started with NODE_OPTIONS=--openssl-legacy-provider:
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node 20's
 * OpenSSL 3 refuses otherwise (listings past 1,000 keys would fail).
 *
 * argv: <directory> [bucket...]. Reports {port} over IPC once listening, then
 * answers {type:'counts'} with the requests it received (counted at the
 * server's 'request' event, classified by S3 operation; and bytes in/out:
 * what the request's socket read and wrote between request and response,
 * headers included; approximate) and {type:'reset'}.
 */
const S3rver = require('s3rver');

const [directory, ...buckets] = process.argv.slice(2);
let counts = {};
let bytes = { in: 0, out: 0 };

/** The S3 operation a request is, from its method, path and query (path-style addressing). */
function classify(req) {
  const url = new URL(req.url, 'http://x');
  const parts = url.pathname.split('/').filter(Boolean);
  const q = url.searchParams;
  const m = req.method;
  if (parts.length <= 1) {
    if (m === 'GET' && parts.length === 0) return 'ListBuckets';
    if (m === 'GET') return q.get('list-type') === '2' ? 'ListObjectsV2' : q.has('location') ? 'GetBucketLocation' : 'ListObjects';
    if (m === 'POST' && q.has('delete')) return 'DeleteObjects';
    if (m === 'PUT') return 'CreateBucket';
    if (m === 'DELETE') return 'DeleteBucket';
    if (m === 'HEAD') return 'HeadBucket';
    return `${m} bucket`;
  }
  if (m === 'GET') return 'GetObject';
  if (m === 'HEAD') return 'HeadObject';
  if (m === 'DELETE') return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  if (m === 'PUT') return q.has('partNumber') ? 'UploadPart' : req.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  if (m === 'POST') return q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : 'POST object';
  return `${m} object`;
}

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});

server.run().then(
  (addr) => {
    server.httpServer.on('request', (req, res) => {
      const op = classify(req);
      counts[op] = (counts[op] || 0) + 1;
      const sock = req.socket;
      const read0 = sock.bytesRead;
      const written0 = sock.bytesWritten;
      const headers = req.rawHeaders.reduce((n, h) => n + h.length + 2, req.method.length + req.url.length + 12);
      res.once('finish', () => {
        const length = Number(req.headers['content-length']);
        bytes.in += headers + (Number.isFinite(length) ? length : sock.bytesRead - read0);
        bytes.out += sock.bytesWritten - written0;
      });
    });
    process.on('message', (msg) => {
      if (msg && msg.type === 'counts') process.send({ type: 'counts', counts, bytes });
      if (msg && msg.type === 'reset') {
        counts = {};
        bytes = { in: 0, out: 0 };
        process.send({ type: 'reset' });
      }
    });
    process.on('disconnect', () => process.exit(0));
    process.send({ type: 'ready', port: addr.port });
  },
  (err) => {
    process.send({ type: 'error', message: String(err && err.stack ? err.stack : err) });
    process.exit(1);
  },
);
