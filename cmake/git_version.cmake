# Run at every build (target sl_git_version): writes OUT, a C file defining SLGitCommit, the commit of the
# source tree with "-dirty" when tracked files differ from it, rewritten only when that changes (so a build
# without changes relinks nothing). Variables: SRC (source tree), OUT (the generated file).
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT commit)
  set(commit "unknown")
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
                  OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(dirty)
    set(commit "${commit}-dirty")
  endif()
endif()
set(text "/* Generated at build time by cmake/git_version.cmake: the source tree this binary was built from. */\n#include <splinelens/sys.h>\n\nconst char SLGitCommit[] = \"${commit}\";\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
