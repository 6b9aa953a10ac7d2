# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_guard_global_optspecs
    string join \n config= non-interactive q/quiet approval= approval-file= break-glass= wait= plan-timeout-cap= c= h/help V/version
end

function __fish_guard_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_guard_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_guard_using_subcommand
    set -l cmd (__fish_guard_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c guard -n "__fish_guard_needs_command" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_needs_command" -l approval -d 'A second person\'s approval token for this command (repeat for several approvers) [env: GUARD_APPROVAL, blank-separated]' -r
complete -c guard -n "__fish_guard_needs_command" -l approval-file -d 'A file holding approval tokens, one per line' -r -F
complete -c guard -n "__fish_guard_needs_command" -l break-glass -d 'Emergency override, when the system config allows it: run without the approval, recorded loudly with the reason (never for agents)' -r
complete -c guard -n "__fish_guard_needs_command" -l wait -d 'When the command needs an approval that is not there yet: post the request and wait this long for it (`90s`, `15m`, `2h`), then run' -r
complete -c guard -n "__fish_guard_needs_command" -l plan-timeout-cap -d 'At most this many seconds to read a plan (only ever shortens [plans] timeout): what the hook gives its check, to answer within its own bound' -r
complete -c guard -n "__fish_guard_needs_command" -s c -d 'A shell string: every command in it is checked, then the string runs with $GUARD_SHELL (default /bin/sh)' -r
complete -c guard -n "__fish_guard_needs_command" -l non-interactive -d 'Never ask at the terminal: a command that needs confirmation is refused'
complete -c guard -n "__fish_guard_needs_command" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_needs_command" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_needs_command" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_needs_command" -a "check" -d 'Decide on a command and explain, without running it'
complete -c guard -n "__fish_guard_needs_command" -a "rules" -d 'List, show, test and lint rules'
complete -c guard -n "__fish_guard_needs_command" -a "request" -d 'Make an approval request for a command, without trying to run it'
complete -c guard -n "__fish_guard_needs_command" -a "hook" -d 'Answer an AI agent\'s pre-tool-use hook: decide on the shell command it is about to run, in that agent\'s protocol'
complete -c guard -n "__fish_guard_needs_command" -a "install" -d 'Install guard\'s hook into an agent\'s settings (idempotent; backs the file up)'
complete -c guard -n "__fish_guard_needs_command" -a "uninstall" -d 'Remove guard\'s hook from an agent\'s settings, exactly as it was before'
complete -c guard -n "__fish_guard_needs_command" -a "shim" -d 'Put guard in front of programs on PATH: shims named after each guarded program'
complete -c guard -n "__fish_guard_needs_command" -a "breaker" -d 'The circuit breaker: its state, and a person\'s reset'
complete -c guard -n "__fish_guard_needs_command" -a "setup" -d 'The protected install (as root): guard\'s group, the setgid binary, /etc/guard and /var/lib/guard, so the account guard runs for cannot undo what guard keeps'
complete -c guard -n "__fish_guard_needs_command" -a "supervise" -d 'Run an agent (or any program) with every program started anywhere in its process tree checked before it runs'
complete -c guard -n "__fish_guard_needs_command" -a "doctor" -d 'Check the setup end to end: config, approvers, audit log, shims, agent hooks'
complete -c guard -n "__fish_guard_needs_command" -a "completions" -d 'Print the shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c guard -n "__fish_guard_needs_command" -a "man" -d 'Print the man page, guard(1), in roff'
complete -c guard -n "__fish_guard_needs_command" -a "log" -d 'Show the audit trail, or verify its hash chain'
complete -c guard -n "__fish_guard_needs_command" -a "approve" -d 'List the requests waiting for an approver, or review one and sign it with your own SSH key, printing the approval token'
complete -c guard -n "__fish_guard_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand check" -s c -d 'A shell string to decide on (every command in it)' -r
complete -c guard -n "__fish_guard_using_subcommand check" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand check" -l json -d 'Print one JSON object (a stable interface; see the README)'
complete -c guard -n "__fish_guard_using_subcommand check" -l stdin -d 'Decide on many inputs: one per line on stdin, a shell string or a JSON object `{"command": "..."}` / `{"argv": [...]}`; prints one JSON object per line'
complete -c guard -n "__fish_guard_using_subcommand check" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand check" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand rules; and not __fish_seen_subcommand_from list show test lint help" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand rules; and not __fish_seen_subcommand_from list show test lint help" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand rules; and not __fish_seen_subcommand_from list show test lint help" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand rules; and not __fish_seen_subcommand_from list show test lint help" -f -a "list" -d 'List every rule in force, with its severity and where it comes from'
complete -c guard -n "__fish_guard_using_subcommand rules; and not __fish_seen_subcommand_from list show test lint help" -f -a "show" -d 'Show one rule in full, with its examples'
complete -c guard -n "__fish_guard_using_subcommand rules; and not __fish_seen_subcommand_from list show test lint help" -f -a "test" -d 'Run rules\' match / not_match examples (the built-in packs, or the files given)'
complete -c guard -n "__fish_guard_using_subcommand rules; and not __fish_seen_subcommand_from list show test lint help" -f -a "lint" -d 'Check rule or config files; errors name the line and column'
complete -c guard -n "__fish_guard_using_subcommand rules; and not __fish_seen_subcommand_from list show test lint help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from list" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from list" -l json -d 'One JSON array'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from show" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from test" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from test" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from lint" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from lint" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from lint" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every rule in force, with its severity and where it comes from'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one rule in full, with its examples'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "test" -d 'Run rules\' match / not_match examples (the built-in packs, or the files given)'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "lint" -d 'Check rule or config files; errors name the line and column'
complete -c guard -n "__fish_guard_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand request" -s c -d 'A shell string to request approval for' -r
complete -c guard -n "__fish_guard_using_subcommand request" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand request" -l json -d 'Print one JSON object with the `code` and the request'
complete -c guard -n "__fish_guard_using_subcommand request" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand request" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand hook" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand hook" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand hook" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand install" -l guard -d 'The guard binary the hook runs (default: the protected install, else `guard` on PATH; never a build tree)' -r -F
complete -c guard -n "__fish_guard_using_subcommand install" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand install" -l project -d 'The project\'s settings (in this directory) instead of the user\'s (in ~)'
complete -c guard -n "__fish_guard_using_subcommand install" -l user -d 'The user\'s settings (the default)'
complete -c guard -n "__fish_guard_using_subcommand install" -l system -d 'The agent\'s system-wide settings (as root): managed hooks the user cannot edit or switch off'
complete -c guard -n "__fish_guard_using_subcommand install" -l dry-run -d 'Show the new settings without writing them'
complete -c guard -n "__fish_guard_using_subcommand install" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand install" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand uninstall" -l guard -d 'The guard binary the hook runs (default: the protected install, else `guard` on PATH; never a build tree)' -r -F
complete -c guard -n "__fish_guard_using_subcommand uninstall" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand uninstall" -l project -d 'The project\'s settings (in this directory) instead of the user\'s (in ~)'
complete -c guard -n "__fish_guard_using_subcommand uninstall" -l user -d 'The user\'s settings (the default)'
complete -c guard -n "__fish_guard_using_subcommand uninstall" -l system -d 'The agent\'s system-wide settings (as root): managed hooks the user cannot edit or switch off'
complete -c guard -n "__fish_guard_using_subcommand uninstall" -l dry-run -d 'Show the new settings without writing them'
complete -c guard -n "__fish_guard_using_subcommand uninstall" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand uninstall" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -f -a "install" -d 'Write shims (links to guard) named after programs; the real program is the next one on PATH'
complete -c guard -n "__fish_guard_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -f -a "list" -d 'List the shims, the real program each runs, and whether it comes first on PATH'
complete -c guard -n "__fish_guard_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -f -a "remove" -d 'Remove shims (all of them, or the programs named); other files are left alone'
complete -c guard -n "__fish_guard_using_subcommand shim; and not __fish_seen_subcommand_from install list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from install" -l dir -d 'The shim directory (default: $XDG_DATA_HOME/guard/shims, else ~/.local/share/guard/shims)' -r -F
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from install" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from install" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from list" -l dir -d 'The shim directory' -r -F
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from list" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from remove" -l dir -d 'The shim directory' -r -F
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from remove" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "install" -d 'Write shims (links to guard) named after programs; the real program is the next one on PATH'
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the shims, the real program each runs, and whether it comes first on PATH'
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove shims (all of them, or the programs named); other files are left alone'
complete -c guard -n "__fish_guard_using_subcommand shim; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand breaker; and not __fish_seen_subcommand_from status reset help" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand breaker; and not __fish_seen_subcommand_from status reset help" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand breaker; and not __fish_seen_subcommand_from status reset help" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand breaker; and not __fish_seen_subcommand_from status reset help" -f -a "status" -d 'Show whether the breaker is open, the counts in the window, and since when'
complete -c guard -n "__fish_guard_using_subcommand breaker; and not __fish_seen_subcommand_from status reset help" -f -a "reset" -d 'Close the breaker: a person at a terminal types `reset`, or an approver\'s token for the reset is given'
complete -c guard -n "__fish_guard_using_subcommand breaker; and not __fish_seen_subcommand_from status reset help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand breaker; and __fish_seen_subcommand_from status" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand breaker; and __fish_seen_subcommand_from status" -l json -d 'One JSON object: `open`, the window, the limits, and each requester\'s counts'
complete -c guard -n "__fish_guard_using_subcommand breaker; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand breaker; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand breaker; and __fish_seen_subcommand_from reset" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand breaker; and __fish_seen_subcommand_from reset" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand breaker; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand breaker; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show whether the breaker is open, the counts in the window, and since when'
complete -c guard -n "__fish_guard_using_subcommand breaker; and __fish_seen_subcommand_from help" -f -a "reset" -d 'Close the breaker: a person at a terminal types `reset`, or an approver\'s token for the reset is given'
complete -c guard -n "__fish_guard_using_subcommand breaker; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand setup" -l bin-dir -d 'Where the setgid binary goes' -r -F
complete -c guard -n "__fish_guard_using_subcommand setup" -l store -d 'Create or upgrade the team\'s database instead, connecting as its administrator (the password from PGPASSWORD or --admin-password-file, never the command line)' -r
complete -c guard -n "__fish_guard_using_subcommand setup" -l role -d 'With --store: the role guard connects as, which may insert rows but never change or delete them' -r
complete -c guard -n "__fish_guard_using_subcommand setup" -l admin-password-file -d 'With --store: a file holding the administrator\'s password' -r -F
complete -c guard -n "__fish_guard_using_subcommand setup" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand setup" -l check -d 'Only look: list what is wrong, with the command that fixes it; change nothing'
complete -c guard -n "__fish_guard_using_subcommand setup" -l shims -d 'Also put root-owned shims for every guarded program on PATH in /usr/local/lib/guard/shims, first on every login shell\'s PATH (/etc/profile.d): agents that run `bash -lc` (Codex) get them too'
complete -c guard -n "__fish_guard_using_subcommand setup" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand setup" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand supervise" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand supervise" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand supervise" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand doctor" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand doctor" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand completions" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand completions" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand completions" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand man" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand man" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand man" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -l since -d 'Only records this recent: `90s`, `15m`, `2h`, or an RFC 3339 time' -r
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -l decision -d 'Only this decision (allow, warn, confirm, two-person, deny)' -r
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -l rule -d 'Only records where this rule matched' -r
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -l grep -d 'Only records whose command or detail contains TEXT' -r
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -s n -l limit -d 'How many records at most' -r
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -l file -d 'The log file (default: [audit] path, else $XDG_STATE_HOME/guard/audit.jsonl)' -r -F
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -l json -d 'One JSON object per line'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -f -a "verify" -d 'Check the whole hash chain; reports the first broken link and exits non-zero. Give rotated files oldest first to check the chain across them'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -f -a "rotate" -d 'Start a new log file that continues the chain; the old one keeps its records'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from verify rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from verify" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from rotate" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check the whole hash chain; reports the first broken link and exits non-zero. Give rotated files oldest first to check the chain across them'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Start a new log file that continues the chain; the old one keeps its records'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand approve" -l file -d 'A file holding the request code' -r -F
complete -c guard -n "__fish_guard_using_subcommand approve" -l key -d 'Your signing key: a private key file, or a .pub file whose key is in the SSH agent (default: [approvals] key, else ~/.ssh/id_ed25519 or id_ecdsa)' -r -F
complete -c guard -n "__fish_guard_using_subcommand approve" -l config -d 'An extra config file, read last (it can only tighten rules) [env: GUARD_CONFIG]' -r -F
complete -c guard -n "__fish_guard_using_subcommand approve" -l list -d 'List the requests waiting for an approver (not your own), and sign nothing'
complete -c guard -n "__fish_guard_using_subcommand approve" -l json -d 'With --list: one JSON array'
complete -c guard -n "__fish_guard_using_subcommand approve" -l yes -d 'Sign without asking: for an approver who reviewed the request elsewhere'
complete -c guard -n "__fish_guard_using_subcommand approve" -s q -l quiet -d 'Print nothing for commands that pass; warnings and refusals are still shown'
complete -c guard -n "__fish_guard_using_subcommand approve" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "check" -d 'Decide on a command and explain, without running it'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "rules" -d 'List, show, test and lint rules'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "request" -d 'Make an approval request for a command, without trying to run it'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "hook" -d 'Answer an AI agent\'s pre-tool-use hook: decide on the shell command it is about to run, in that agent\'s protocol'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "install" -d 'Install guard\'s hook into an agent\'s settings (idempotent; backs the file up)'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "uninstall" -d 'Remove guard\'s hook from an agent\'s settings, exactly as it was before'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "shim" -d 'Put guard in front of programs on PATH: shims named after each guarded program'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "breaker" -d 'The circuit breaker: its state, and a person\'s reset'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "setup" -d 'The protected install (as root): guard\'s group, the setgid binary, /etc/guard and /var/lib/guard, so the account guard runs for cannot undo what guard keeps'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "supervise" -d 'Run an agent (or any program) with every program started anywhere in its process tree checked before it runs'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "doctor" -d 'Check the setup end to end: config, approvers, audit log, shims, agent hooks'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "completions" -d 'Print the shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "man" -d 'Print the man page, guard(1), in roff'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "log" -d 'Show the audit trail, or verify its hash chain'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "approve" -d 'List the requests waiting for an approver, or review one and sign it with your own SSH key, printing the approval token'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from check rules request hook install uninstall shim breaker setup supervise doctor completions man log approve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "list" -d 'List every rule in force, with its severity and where it comes from'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "show" -d 'Show one rule in full, with its examples'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "test" -d 'Run rules\' match / not_match examples (the built-in packs, or the files given)'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "lint" -d 'Check rule or config files; errors name the line and column'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from shim" -f -a "install" -d 'Write shims (links to guard) named after programs; the real program is the next one on PATH'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from shim" -f -a "list" -d 'List the shims, the real program each runs, and whether it comes first on PATH'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from shim" -f -a "remove" -d 'Remove shims (all of them, or the programs named); other files are left alone'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from breaker" -f -a "status" -d 'Show whether the breaker is open, the counts in the window, and since when'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from breaker" -f -a "reset" -d 'Close the breaker: a person at a terminal types `reset`, or an approver\'s token for the reset is given'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "verify" -d 'Check the whole hash chain; reports the first broken link and exits non-zero. Give rotated files oldest first to check the chain across them'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "rotate" -d 'Start a new log file that continues the chain; the old one keeps its records'
