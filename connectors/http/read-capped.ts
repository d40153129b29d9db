import type http from 'node:http';

/** The response body, read up to `limit` bytes: past it the rest is dropped and `truncated` set. */
export function readCapped(
  response: http.IncomingMessage,
  limit: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - size));
        size = limit;
        response.destroy();
        resolve({ bytes: Buffer.concat(chunks), truncated: true });
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    response.on('end', () => resolve({ bytes: Buffer.concat(chunks), truncated: false }));
    response.on('error', reject);
  });
}
