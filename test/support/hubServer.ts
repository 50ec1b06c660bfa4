/**
 * A local stand-in for the Hugging Face Hub: serves `<root>/<org>/<name>/<file>` at
 * `/<org>/<name>/resolve/<revision>/<file>` on 127.0.0.1 with Range support and the
 * file's sha256 as ETag / X-Linked-ETag (as the Hub does for LFS files).
 * Faults for tests: cut one response halfway, or advertise a wrong sha256.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface HubServerOptions {
  /** Cut the first response for a file with this name halfway (then close the connection). */
  cutOnce?: string;
  /** Advertise this sha256 for a file with this name instead of the real one. */
  wrongSha?: { file: string; sha: string };
}

export interface HubServer {
  url: string;
  /** Every request seen: file path after /resolve/<rev>/, and its Range header. */
  requests: { repo: string; file: string; range?: string; status: number }[];
  close(): Promise<void>;
}

export async function startHubServer(root: string, options: HubServerOptions = {}): Promise<HubServer> {
  const requests: HubServer['requests'] = [];
  let cutDone = false;
  const server = createServer((req, res) => {
    const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(decodeURIComponent(req.url ?? ''));
    const record = (repo: string, file: string, status: number) =>
      requests.push({ repo, file, range: req.headers.range, status });
    if (!m) {
      record('', req.url ?? '', 404);
      res.writeHead(404).end('not found');
      return;
    }
    const [, repo, , file] = m;
    const path = normalize(join(root, repo, file));
    if (!path.startsWith(normalize(root)) || !existsSync(path) || !statSync(path).isFile()) {
      record(repo, file, 404);
      res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('Entry not found');
      return;
    }
    const body = readFileSync(path);
    const sha = options.wrongSha?.file === file ? options.wrongSha.sha : createHash('sha256').update(body).digest('hex');
    let start = 0;
    const range = req.headers.range ? /^bytes=(\d+)-$/.exec(req.headers.range) : null;
    if (range) start = Number(range[1]);
    if (start > body.length || (range && start === body.length)) {
      record(repo, file, 416);
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const status = range ? 206 : 200;
    record(repo, file, status);
    const headers: Record<string, string | number> = {
      'content-length': body.length - start,
      etag: `"${sha}"`,
      'x-linked-etag': `"${sha}"`,
      'accept-ranges': 'bytes',
    };
    if (range) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(status, headers);
    if (options.cutOnce === file && !cutDone) {
      cutDone = true;
      res.write(body.subarray(start, start + Math.floor((body.length - start) / 2)), () => res.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
