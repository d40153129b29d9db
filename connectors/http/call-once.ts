// One HTTP call as the executor makes it, for the http and kubernetes connectors: sent once, under
// one deadline for the whole call (a target that trickles its answer is cut off too), its body read
// up to a cap.
import type http from 'node:http';

export interface CappedResponse {
  status: number;
  contentType: string;
  /** The Content-Encoding the body came in (`gzip`, ...), '' when none. */
  contentEncoding: string;
  bytes: Buffer;
  /** The body passed the cap: the rest was dropped. */
  truncated: boolean;
}

/** Thrown when the deadline passed first; the caller says what that means for its target. */
export class CallTimedOut extends Error {
  override name = 'CallTimedOut';
}

/**
 * Sends the request `open` makes (with the deadline's signal) and `body`, and reads the answer.
 * Rejects with CallTimedOut past `timeoutMs`, and with the transport's own error otherwise.
 */
export async function callOnce(
  open: (signal: AbortSignal) => http.ClientRequest,
  body: Buffer | undefined,
  limits: { timeoutMs: number; maxResponseBytes: number },
): Promise<CappedResponse> {
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  try {
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const outgoing = open(deadline);
      outgoing.on('response', resolve);
      outgoing.on('error', reject);
      outgoing.end(body);
    });
    const { bytes, truncated } = await readCapped(response, limits.maxResponseBytes);
    return {
      status: response.statusCode ?? 0,
      contentType: response.headers['content-type'] ?? '',
      contentEncoding: response.headers['content-encoding'] ?? '',
      bytes,
      truncated,
    };
  } catch (error) {
    if (deadline.aborted) throw new CallTimedOut(`the call ran past the target's timeout (${limits.timeoutMs} ms)`);
    throw error;
  }
}

/** The response body, read up to `limit` bytes: past it the rest is dropped and `truncated` set. */
function readCapped(response: http.IncomingMessage, limit: number): Promise<{ bytes: Buffer; truncated: boolean }> {
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
