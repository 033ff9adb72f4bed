#!/bin/sh
# git-model hook: @HOOK@ (installed by 'git model install'; 'git model uninstall' removes it).
# A hook that was here before git-model is kept as @HOOK@.chained and runs first.
here=$(dirname "$0")
@READ_STDIN@
if [ -x "$here/@HOOK@.chained" ]; then
    @CHAINED_CALL@ || { status=$?; @CLEANUP@ exit $status; }
fi
@GIT_MODEL@ hook @HOOK@ "$@" @STDIN_REDIRECT@
status=$?
@CLEANUP@
exit $status
