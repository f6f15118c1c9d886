/**
 * For a command that stops on SIGINT or SIGTERM and listens for them to its end (`up`, `member
 * start`, `regtest node`), called once it has stopped. When its last task is done, Node puts back
 * the default action of every signal while it tears the process down: a signal arriving then (a
 * supervisor's repeated SIGTERM, docker's, `up`'s, Ctrl-C pressed again, npm's forwarded copy
 * coming late) would end the process by that signal after a clean stop, which systemd, docker and
 * npm report as a failure. Exiting at the 'exit' event, with the code it carries, comes before that
 * teardown. Called last, after anything else that listens for 'exit', which would not run after it.
 */
export function exitBeforeTeardown(): void {
  process.once('exit', (code) => process.exit(code));
}
