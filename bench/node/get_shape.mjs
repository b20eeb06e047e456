// `node get_shape.mjs PORT [FILES] [CONCURRENCY] [ROUNDS]`: small GETs a
// second that an Azurite on 127.0.0.1:PORT answers for each request shape
// azblob or rclone could send, in interleaved rounds under the same load.
// It uploads FILES (default 10,000) blobs of 1 to 256 KiB to `bench/t/`,
// then reads all of them per shape, CONCURRENCY (default 32) keep-alive
// connections at a time, checking each body's length:
// - `plain`: no Range, no condition (what rclone sends);
// - `plain_ifmatch`: no Range, `If-Match` on the ETag;
// - `range_chunk`: `x-ms-range: bytes=0-8388607` (the download engine's
//   first request for a blob of unknown size, as `download_files` sends it);
// - `range_exact_ifmatch`: the blob's exact range with `If-Match`.
// It was written to test whether the Range header makes Azurite's GETs slow
// (it does not: Azurite 3.37's `downloadBlockBlobOrAppendBlob` reads the same
// extents either way); see README's directory bench. Start the emulator as
// the test kit does (tools/azurite/launch.js exits when its stdin closes):
//   sleep 3600 | node tools/azurite/launch.js --inMemoryPersistence \
//     --blobHost 127.0.0.1 --blobPort PORT --skipApiVersionCheck --loose --silent
// SHAPES=plain,range_chunk runs only those; SKIPUP=1 reuses an upload.
import crypto from 'node:crypto';
import http from 'node:http';

const port = Number(process.argv[2]);
const files = Number(process.argv[3] || 10000);
const concurrency = Number(process.argv[4] || 32);
const rounds = Number(process.argv[5] || 3);
const account = 'devstoreaccount1';
// Azurite's well-known development key, public in its documentation.
const key = Buffer.from(
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  'base64',
);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

// Shared Key for the few headers this script sends.
function sign(method, path, query, headers, length) {
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const msHeaders = Object.keys(h)
    .filter((k) => k.startsWith('x-ms-'))
    .sort()
    .map((k) => `${k}:${h[k]}\n`)
    .join('');
  const resource =
    `/${account}/${account}${path}` +
    Object.keys(query)
      .sort()
      .map((k) => `\n${k}:${query[k]}`)
      .join('');
  const fields = [method, '', '', length ? String(length) : '', '', '', '', '', h['if-match'] || '', '', '', ''];
  const text = `${fields.join('\n')}\n${msHeaders}${resource}`;
  return `SharedKey ${account}:${crypto.createHmac('sha256', key).update(text, 'utf8').digest('base64')}`;
}

function send(method, path, query, extra, body) {
  const headers = { 'x-ms-date': new Date().toUTCString(), 'x-ms-version': '2023-11-03', ...extra };
  const length = body ? body.length : 0;
  headers.Authorization = sign(method, path, query, headers, length);
  if (body) headers['Content-Length'] = length;
  const qs = new URLSearchParams(query).toString();
  const target = `/${account}${path}${qs ? `?${qs}` : ''}`;
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method, path: target, headers, agent }, (response) => {
      let received = 0;
      response.on('data', (chunk) => {
        received += chunk.length;
      });
      response.on('end', () => resolve({ status: response.statusCode, received, headers: response.headers }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function pool(count, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

// Sizes from a fixed LCG, so every run reads the same tree.
const sizes = [];
let seed = 7;
for (let i = 0; i < files; i++) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  sizes.push(1024 + (seed % (255 * 1024)));
}
const name = (i) => `/bench/t/f${i}`;
if (!process.env.SKIPUP) {
  await send('PUT', '/bench', { restype: 'container' }, {});
  const data = crypto.randomBytes(256 * 1024);
  await pool(files, async (i) => {
    const answer = await send('PUT', name(i), {}, { 'x-ms-blob-type': 'BlockBlob' }, data.subarray(0, sizes[i]));
    if (answer.status !== 201) throw new Error(`Put Blob answered ${answer.status}`);
  });
}
const etags = [];
await pool(files, async (i) => {
  etags[i] = (await send('HEAD', name(i), {}, {})).headers.etag;
});
const shapes = {
  plain: () => ({}),
  plain_ifmatch: (i) => ({ 'If-Match': etags[i] }),
  range_chunk: () => ({ 'x-ms-range': `bytes=0-${8 * 1024 * 1024 - 1}` }),
  range_exact_ifmatch: (i) => ({ 'x-ms-range': `bytes=0-${sizes[i] - 1}`, 'If-Match': etags[i] }),
};
const chosen = Object.entries(shapes).filter(([n]) => !process.env.SHAPES || process.env.SHAPES.split(',').includes(n));
const results = {};
for (let round = 0; round < rounds; round++) {
  for (const [shape, headers] of chosen) {
    const start = process.hrtime.bigint();
    await pool(files, async (i) => {
      const answer = await send('GET', name(i), {}, headers(i));
      if (answer.status >= 300 || answer.received !== sizes[i]) {
        throw new Error(`${shape}: status ${answer.status}, ${answer.received} of ${sizes[i]} bytes`);
      }
    });
    const perSecond = Math.round(files / (Number(process.hrtime.bigint() - start) / 1e9));
    (results[shape] ||= []).push(perSecond);
    console.log(`round ${round + 1} ${shape}: ${perSecond} GETs/s`);
  }
}
console.log(JSON.stringify(results));
