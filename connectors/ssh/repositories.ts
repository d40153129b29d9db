import { gitInvocation } from './git-words';
import { directoriesUpTo, resolved, whereItWorks } from './landing-paths';
import { optionValues } from './option-words';

/**
 * A repository's hooks and settings are code (ADR 116). git runs `.git/hooks/pre-commit` before a
 * commit, `post-checkout` after a checkout, and the commands the repository's `.git/config` names
 * (`core.fsmonitor` at every `git status`, an alias `!cmd`, `diff.external`, `core.sshCommand`, a
 * filter's `clean`): files in the repository, which any program that writes files can write where
 * the login can. git finds the repository itself, where it works or in a directory above, so no word
 * of the command names it. Such a repository is read as ADR 111 reads a script: a shell when it may
 * lie outside where the target keeps code. Mercurial's `.hg/hgrc` holds hooks and aliases the same
 * way, and a few programs run git where they work (go stamps a build with `git status`).
 */

/** git's subcommands that look for no repository where they work: `clone` and `init` make one (their template below). */
const GIT_WITHOUT_REPOSITORY = new Set(['version', 'clone', 'init', 'init-db']);

/** Mercurial's commands that look for no repository where they work. */
const HG_WITHOUT_REPOSITORY = new Set(['version', 'clone', 'init']);

/**
 * go's commands that stamp what they build or list with its repository's state, running `git
 * status` there (`-buildvcs`, on by default). `go run` and `go test` do not (ADR 114 reads them).
 */
const GO_STAMPS = new Set(['build', 'install', 'list']);

/** Programs that run git in the repository where they work, whatever their command. */
const RUN_GIT_WHERE_THEY_WORK = new Set(['tig', 'gitk', 'git-gui', 'lazygit', 'gh', 'glab']);

/**
 * The repositories `name` (a program's file name) may take hooks and settings from, working from
 * `directory` (after its own `-C`): the one `--git-dir` names, else each directory git may find one
 * in (the repository itself, bare, or holding `.git`), the one it works in and each above it, `/` left
 * out (only root writes there), for git takes the first it finds and one above may be the agent's;
 * and the template directory `clone` and `init` copy hooks from. In plain form.
 */
export function repositoriesUsed(name: string, args: readonly string[], directory: string): string[] {
  if (name === 'git') return gitRepositories(args, directory);
  if (name === 'hg') {
    const command = args.find((word) => !word.startsWith('-'));
    if (command === undefined || HG_WITHOUT_REPOSITORY.has(command)) return [];
    const named = optionValues(args, ['-R', '--repository', '--cwd']).map(({ value }) => resolved(value, directory));
    return (named.length > 0 ? named : [directory]).flatMap(directoriesUpTo);
  }
  if (name === 'go') {
    const words = args.filter((word) => !word.startsWith('-'));
    const stamps = words.some((word) => GO_STAMPS.has(word)) && !args.includes('-buildvcs=false');
    return stamps ? whereItWorks(name, args, directory).flatMap(directoriesUpTo) : [];
  }
  return RUN_GIT_WHERE_THEY_WORK.has(name) ? directoriesUpTo(directory) : [];
}

function gitRepositories(args: readonly string[], directory: string): string[] {
  const { options, subcommand, rest } = gitInvocation(args);
  if (subcommand === undefined) return [];
  const heres = whereItWorks('git', args, directory);
  // The hooks of a new repository come from its template, and `clone` runs `post-checkout` at once.
  if (GIT_WITHOUT_REPOSITORY.has(subcommand)) {
    const templates = optionValues(rest, ['--template']).map(({ value }) => value);
    return heres.flatMap((here) => templates.map((template) => resolved(template, here)));
  }
  const named = options.flatMap(({ name, value }) => (name === '--git-dir' && value ? [value] : []));
  if (named.length > 0) return heres.flatMap((here) => named.map((repository) => resolved(repository, here)));
  return heres.flatMap(directoriesUpTo);
}
