// Samples from the Prometheus text exposition format (version 0.0.4), the format the Temporal
// server's metrics endpoint serves. Written here because the npm parser for it
// (parse-prometheus-text-format 1.1.1) merges a histogram's label sets into one, which loses
// exactly what the benchmark needs: the sum and count per operation.

export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };
/** The format's spellings that Number() does not read. */
const SPECIAL_VALUES: Record<string, number> = { '+Inf': Number.POSITIVE_INFINITY, '-Inf': Number.NEGATIVE_INFINITY };

/** One sample line: `name{label="value",...} value [timestamp]`. */
function parseSample(line: string): PrometheusSample {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`metrics line ${JSON.stringify(line)}: ${what} at ${at}`);
  };
  const readUntil = (stops: string) => {
    const start = at;
    while (at < line.length && !stops.includes(line[at]!)) at++;
    return line.slice(start, at);
  };
  const name = readUntil('{ ');
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const label = readUntil('=').trim();
      if (line[at] !== '=' || line[at + 1] !== '"') fail('expected ="');
      at += 2;
      let value = '';
      while (line[at] !== '"') {
        if (at >= line.length) fail('unterminated label value');
        if (line[at] === '\\') {
          value += ESCAPES[line[at + 1]!] ?? fail('unknown escape');
          at += 2;
        } else value += line[at++];
      }
      at++;
      labels[label] = value;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') fail('expected , or }');
    }
    at++;
  }
  const [value = ''] = line.slice(at).trim().split(/\s+/);
  return { name, labels, value: SPECIAL_VALUES[value] ?? Number(value) };
}

/** Every sample in an exposition (comments and blank lines skipped). */
export function parsePrometheusText(text: string): PrometheusSample[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map(parseSample);
}
