import { optionValues } from './option-words';

/**
 * Code a program loads or runs from a path an option names (ADR 115): a compiler's plugin
 * (`gcc -fplugin=x.so`) and the directory it takes its assembler and linker from (`gcc -B dir/`), a
 * linker's plugin (`ld -plugin x.so`, or through gcc: `-Wl,-plugin,x.so`; `ar`'s and `nm`'s
 * `--plugin` too: ADR 117), an OpenSSL engine or provider named by its file, a PKCS#11 or FIDO
 * library ssh and its tools load (`ssh -I`, `ssh-keygen -D`), and a directory an interpreter looks
 * for modules in first (`perl -I dir` before the system's own `strict.pm`). Each is a file of code
 * ADR 111 reads: a shell when it lies outside where the target keeps code.
 */

// gcc, g++, cc, c++, clang, and their versioned and cross names (`gcc-12`, `x86_64-linux-gnu-gcc`).
export const COMPILER = /^(?:cc|c\+\+|cpp|(?:[\w.]+-)*(?:gcc|g\+\+|clang|clang\+\+)(?:-[\d.]+)?)$/;
export const LINKER = /^(?:(?:[\w.]+-)*ld(?:\.(?:bfd|gold|lld|mold))?|collect2)$/;
const LINKER_PLUGIN = ['-plugin', '--plugin'];
// binutils' archivers and symbol listers load the linker's plugin to read LTO objects (ADR 117).
export const ARCHIVER = /^(?:[\w.]+-)*(?:ar|nm|ranlib)(?:-[\d.]+)?$/;
/** Options whose value is a library or a directory of code, by program. */
const LIBRARY_OPTIONS: ReadonlyMap<string, readonly string[]> = new Map([
  ['ssh', ['-I']],
  ['ssh-keygen', ['-D', '-w']],
  ['ssh-add', ['-s', '-S', '-e']],
  ['perl', ['-I']],
  ['ruby', ['-I']],
]);

/** The files and directories of code `name` (a program's file name) loads from a path among `args`, as written. */
export function loadedCode(name: string, args: readonly string[]): string[] {
  if (COMPILER.test(name)) return compilerCode(args);
  if (LINKER.test(name) || ARCHIVER.test(name)) return linkerCode(args);
  if (name === 'openssl') return opensslCode(args);
  const options = LIBRARY_OPTIONS.get(name);
  return options ? optionValues(args, options).map(({ value }) => value) : [];
}

/**
 * A compiler driver's plugins, the program directories `-B` names (it runs `as`, `ld`, `cc1` from
 * there first), clang's `--ld-path`, and the linker plugins it passes on (`-Wl,` and `-Xlinker`).
 */
function compilerCode(args: readonly string[]): string[] {
  const named = optionValues(args, ['--prefix', '-fplugin', '--ld-path']).map(({ value }) => value);
  // `-Bdir` or `-B dir`: gcc's options are no clusters (`-DBUILD` is no `-B`).
  const prefixes = args.flatMap((word, index) => {
    if (word === '-B') return args[index + 1] === undefined ? [] : [args[index + 1]!];
    return word.startsWith('-B') ? [word.slice(2)] : [];
  });
  const linkerWords = [
    ...args.filter((word) => word.startsWith('-Wl,')).flatMap((word) => word.slice('-Wl,'.length).split(',')),
    ...optionValues(args, ['-Xlinker']).map(({ value }) => value),
  ];
  return [...prefixes, ...named, ...linkerCode(linkerWords)];
}

/** A linker's plugins (`-plugin x.so`, `--plugin=x.so`), and an archiver's (`ar --plugin x.so`). */
function linkerCode(args: readonly string[]): string[] {
  return optionValues(args, LINKER_PLUGIN).map(({ value }) => value);
}

/**
 * OpenSSL's engines and providers named by a file (`-engine /tmp/x.so`, `openssl engine
 * /tmp/x.so`), which it loads by path; those named by an id are the system's.
 */
function opensslCode(args: readonly string[]): string[] {
  const named = optionValues(args, ['-engine', '-provider', '-keygen_engine']).map(({ value }) => value);
  const engines = args[0] === 'engine' ? args.slice(1).filter((word) => !word.startsWith('-')) : [];
  return [...named, ...engines].filter((value) => value.includes('/'));
}
