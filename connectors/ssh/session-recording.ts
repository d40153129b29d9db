// A command's output as an asciicast v2 recording (https://docs.asciinema.org/manual/asciicast/v2/):
// a JSON header line, then one `[seconds, "o", text]` event per line of output. Output is masked
// line by line before it is kept, so a masked pattern is never split across two chunks of the
// stream; the same lines make the result's stdout and stderr.
import { StringDecoder } from 'node:string_decoder';
import type { MaskRules } from '../../config/target-schemas';
import { maskText } from '../mask';

/** A line longer than this is kept in pieces, cut at whitespace where it has some. */
const LONGEST_LINE = 16 * 1024;

export interface SessionOutput {
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** The asciicast v2 file. */
  cast: string;
  durationMs: number;
}

/** Collects a session's two output streams, up to `maxBytes` in all, masking each line. */
export class SessionRecorder {
  private readonly started = performance.now();
  private readonly events: [number, string][] = [];
  private readonly kept = { stdout: [] as string[], stderr: [] as string[] };
  private readonly pending = { stdout: '', stderr: '' };
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private received = 0;
  private truncated = false;

  constructor(
    private readonly header: { title: string; timestamp: number },
    private readonly rules: { patterns: MaskRules['patterns']; secrets: string[] },
    private readonly maxBytes: number,
  ) {}

  /** A chunk as it arrives; past the cap the rest of the stream is dropped. */
  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.truncated) return;
    let bytes = chunk;
    if (this.received + chunk.length > this.maxBytes) {
      bytes = chunk.subarray(0, this.maxBytes - this.received);
      this.truncated = true;
    }
    this.received += bytes.length;
    this.pending[stream] += this.decoders[stream].write(bytes);
    this.flushLines(stream, false);
  }

  /** The session's end: the last partial lines, and the recording. */
  finish(): SessionOutput {
    for (const stream of ['stdout', 'stderr'] as const) {
      this.pending[stream] += this.decoders[stream].end();
      this.flushLines(stream, true);
    }
    const durationMs = Math.round(performance.now() - this.started);
    // The terminal is as wide as the longest line and as tall as the output (within bounds), so a
    // player shows a short session without a screen of empty rows.
    const rows = this.events
      .map(([, text]) => text)
      .join('')
      .split('\r\n');
    const header = {
      version: 2,
      width: Math.min(
        rows.reduce((widest, row) => Math.max(widest, row.length), 80),
        200,
      ),
      height: Math.min(Math.max(rows.length, 4), 40),
      timestamp: this.header.timestamp,
      title: this.header.title,
      env: { TERM: 'xterm-256color' },
    };
    const lines = [header, ...this.events.map(([at, text]) => [at, 'o', text])].map((line) => JSON.stringify(line));
    return {
      stdout: this.kept.stdout.join(''),
      stderr: this.kept.stderr.join(''),
      truncated: this.truncated,
      cast: `${lines.join('\n')}\n`,
      durationMs,
    };
  }

  private flushLines(stream: 'stdout' | 'stderr', all: boolean): void {
    let text = this.pending[stream];
    for (;;) {
      const newline = text.indexOf('\n');
      if (newline >= 0) {
        this.keep(stream, text.slice(0, newline + 1));
        text = text.slice(newline + 1);
      } else if (text.length > LONGEST_LINE) {
        const space = text.lastIndexOf(' ', LONGEST_LINE);
        const cut = space > 0 ? space + 1 : LONGEST_LINE;
        this.keep(stream, text.slice(0, cut));
        text = text.slice(cut);
      } else break;
    }
    if (all && text !== '') {
      this.keep(stream, text);
      text = '';
    }
    this.pending[stream] = text;
  }

  private keep(stream: 'stdout' | 'stderr', line: string): void {
    let masked = maskText(line, this.rules.patterns);
    for (const secret of this.rules.secrets) masked = masked.split(secret).join('[credential]');
    this.kept[stream].push(masked);
    // Without a terminal the host sends bare newlines; a player wants a carriage return too.
    const at = Math.round(performance.now() - this.started) / 1000;
    this.events.push([at, masked.replace(/\r?\n/g, '\r\n')]);
  }
}
